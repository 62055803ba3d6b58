package dev.tunelab.align;

/**
 * The per-token rewards of RLHF's PPO (Ziegler et al. 2019, section 2.2; TRL's PPOTrainer):
 * r_t = -beta * KL_t on every completion token, where KL_t is the estimator's per-token KL of the
 * policy to the reference, plus the reward model's score on the last token. Positions past a
 * completion's end stay 0.
 *
 * @param perToken (completions, longest completion) rewards
 * @param meanKl the KL per completion (summed over its tokens), averaged over the completions
 */
public record TokenRewards(double[][] perToken, double meanKl) {

    /**
     * @param policyLogp log pi(token) of the rollout policy, per completion and token
     * @param referenceLogp the same under the reference model
     * @param lengths each completion's token count (at least 1)
     * @param scores the score of each completion
     */
    public static TokenRewards compute(double[][] policyLogp, double[][] referenceLogp, int[] lengths, double[] scores,
            double beta, KlEstimator estimator, int columns) {
        double[][] rewards = new double[lengths.length][columns];
        double klSum = 0;
        for (int b = 0; b < lengths.length; b++) {
            int last = lengths[b] - 1;
            for (int t = 0; t <= last; t++) {
                double kl = estimator.perToken(policyLogp[b][t], referenceLogp[b][t]);
                klSum += kl;
                rewards[b][t] = -beta * kl;
            }
            rewards[b][last] += scores[b];
        }
        return new TokenRewards(rewards, klSum / lengths.length);
    }
}
