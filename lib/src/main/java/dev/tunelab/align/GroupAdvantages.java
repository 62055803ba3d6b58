package dev.tunelab.align;

/**
 * GRPO's advantages (Shao et al. 2024, "DeepSeekMath", section 4.1.2, outcome supervision): each
 * prompt gets k sampled completions, and a completion's advantage is its reward standardised
 * within its group, (r - mean(group)) / (std(group) + eps). The group mean plays the part of
 * PPO's value baseline, so no value head is needed. As TRL's GRPOTrainer: the sample standard
 * deviation (n - 1) and eps = 1e-4; every token of a completion shares its advantage.
 */
public final class GroupAdvantages {
    // TRL GRPOTrainer: advantages = (rewards - mean) / (std + 1e-4)
    static final double EPS = 1e-4;

    private GroupAdvantages() {}

    /**
     * @param rewards k rewards per prompt, the groups one after the other (prompt 0's k, then prompt 1's ...)
     * @param groupSize k, at least 2
     */
    public static double[] compute(double[] rewards, int groupSize) {
        checkGroups(rewards, groupSize);
        double[] advantages = new double[rewards.length];
        for (int start = 0; start < rewards.length; start += groupSize) {
            double mean = mean(rewards, start, groupSize);
            double std = std(rewards, start, groupSize);
            for (int i = start; i < start + groupSize; i++) {
                advantages[i] = (rewards[i] - mean) / (std + EPS);
            }
        }
        return advantages;
    }

    /**
     * RLOO's advantages (Ahmadian et al. 2024, "Back to Basics: Revisiting REINFORCE Style
     * Optimization for Learning from Human Feedback in LLMs"; Kool et al. 2019): each
     * completion's reward minus the mean reward of the other k - 1 completions of its prompt, as
     * TRL's RLOOTrainer computes them ((sum - r) / (k - 1) as baseline, no standardisation). The
     * baseline does not depend on the completion it is subtracted from, so the gradient stays unbiased.
     *
     * @param rewards k rewards per prompt, the groups one after the other
     * @param groupSize k, at least 2
     */
    public static double[] leaveOneOut(double[] rewards, int groupSize) {
        checkGroups(rewards, groupSize);
        double[] advantages = new double[rewards.length];
        for (int start = 0; start < rewards.length; start += groupSize) {
            double sum = mean(rewards, start, groupSize) * groupSize;
            for (int i = start; i < start + groupSize; i++) {
                advantages[i] = rewards[i] - (sum - rewards[i]) / (groupSize - 1);
            }
        }
        return advantages;
    }

    private static void checkGroups(double[] rewards, int groupSize) {
        if (groupSize < 2) {
            throw new IllegalArgumentException("a group needs at least 2 completions, got " + groupSize);
        }
        if (rewards.length % groupSize != 0) {
            throw new IllegalArgumentException(rewards.length + " rewards do not split into groups of " + groupSize);
        }
    }

    /** Mean of rewards[start .. start + n - 1]. */
    static double mean(double[] rewards, int start, int n) {
        double sum = 0;
        for (int i = start; i < start + n; i++) {
            sum += rewards[i];
        }
        return sum / n;
    }

    /** Sample standard deviation (n - 1) of rewards[start .. start + n - 1]. */
    static double std(double[] rewards, int start, int n) {
        double mean = mean(rewards, start, n);
        double squares = 0;
        for (int i = start; i < start + n; i++) {
            squares += (rewards[i] - mean) * (rewards[i] - mean);
        }
        return Math.sqrt(squares / (n - 1));
    }
}
