package dev.tunelab.eval;

import java.util.List;

/**
 * The reward of a completion given its prompt: a trained reward model, or a programmatic "gold"
 * judge such as {@code (prompt, completion) -> SentimentJudge.stories().score(completion)}.
 * RL trainers ask for a whole rollout batch at once; a reward model overrides {@link #scores}
 * to score it in one forward pass. The same interface scores synthetic data (filters, best of k).
 */
@FunctionalInterface
public interface RewardFunction {
    double score(String prompt, String completion);

    default double[] scores(List<String> prompts, List<String> completions) {
        double[] out = new double[prompts.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = score(prompts.get(i), completions.get(i));
        }
        return out;
    }
}
