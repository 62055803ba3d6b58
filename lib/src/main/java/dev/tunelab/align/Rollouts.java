package dev.tunelab.align;

import dev.tunelab.LanguageModel;
import dev.tunelab.eval.RewardFunction;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.generate.Generator;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The experience-collection half of on-policy RL for language models: sample completions of a
 * batch of prompts from the current policy (batched, with the KV cache) and score them with the
 * reward function. Sampling is plain temperature-1 sampling with no top-k or top-p cut, so the
 * completions come from exactly the distribution whose log-probabilities the losses use.
 */
public final class Rollouts {
    private Rollouts() {}

    /**
     * One batch of experience.
     *
     * @param completionIds sampled tokens, with the EOS token appended when the policy chose to stop
     *     (stopping is an action too: its log-probability and KL count like any other token's)
     * @param completions decoded text without special tokens: what the reward function saw
     * @param scores the reward function's score of each completion
     */
    public record Rollout(List<String> prompts, List<long[]> promptIds, List<long[]> completionIds,
            List<String> completions, double[] scores, long generatedTokens, double seconds) {

        public int size() {
            return prompts.size();
        }

        public CompletionBatch batch() {
            return CompletionBatch.of(promptIds, completionIds);
        }

        public double meanScore() {
            return Arrays.stream(scores).average().orElse(Double.NaN);
        }

        public double meanLength() {
            return completionIds.stream().mapToInt(c -> c.length).average().orElse(0);
        }
    }

    /**
     * Samples one completion per prompt (repeat a prompt k times for k samples of it) and scores them.
     *
     * @param stopAtEos false samples exactly {@code maxNewTokens} tokens, an EOS among them counting as
     *     an ordinary token (Ziegler et al. 2019 sample fixed-length continuations; it leaves the policy
     *     no way to game a reward model through the length, e.g. by stopping at once)
     */
    public static Rollout sample(LlamaModel policy, Tokenizer tokenizer, List<String> prompts, RewardFunction reward,
            int maxNewTokens, boolean stopAtEos, long seed) {
        Generator generator = LanguageModel.generator(policy, tokenizer);
        List<long[]> promptIds = prompts.stream().map(tokenizer::encode).toList();
        boolean wasTraining = policy.isTraining();
        policy.train(false); // sample from the policy itself, without dropout
        long start = System.nanoTime();
        List<Generation> generations;
        try {
            var sampling = GenerationConfig.sample(1.0).maxNewTokens(maxNewTokens).stopAtEos(stopAtEos).seed(seed);
            generations = generator.generate(promptIds, sampling);
        } finally {
            policy.train(wasTraining);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        List<long[]> completionIds = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        long generated = 0;
        for (Generation g : generations) {
            long[] tokens = g.tokens();
            if ("eos".equals(g.finishReason())) {
                tokens = Arrays.copyOf(tokens, tokens.length + 1);
                tokens[tokens.length - 1] = g.eosToken();
            }
            generated += tokens.length;
            completionIds.add(tokens);
            texts.add(g.text());
        }
        double[] scores = reward.scores(prompts, texts);
        return new Rollout(List.copyOf(prompts), promptIds, completionIds, texts, scores, generated, seconds);
    }

    /**
     * Step {@code step}'s rollout for the group methods (GRPO, RLOO): {@code promptsPerStep} prompts
     * ({@link #promptsFor}), each sampled {@code groupSize} times, the groups side by side (prompt 0's
     * completions, then prompt 1's ...), with the seed of the step.
     */
    public static Rollout sampleGroups(LlamaModel policy, Tokenizer tokenizer, List<String> prompts, int step,
            int promptsPerStep, int groupSize, RewardFunction reward, int maxNewTokens, boolean stopAtEos, long seed) {
        List<String> grouped = new ArrayList<>();
        for (String p : promptsFor(prompts, step, promptsPerStep, seed)) {
            for (int g = 0; g < groupSize; g++) {
                grouped.add(p);
            }
        }
        return sample(policy, tokenizer, grouped, reward, maxNewTokens, stopAtEos, seed * 1_000_003L + step);
    }

    /**
     * The prompts of step {@code step}: the prompt list is read as an endless stream of epochs,
     * each in an order shuffled with (seed, epoch), and step s takes positions s * n ... s * n + n - 1,
     * so a step's prompts depend only on the step and the seed.
     */
    public static List<String> promptsFor(List<String> prompts, int step, int n, long seed) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts to sample from");
        }
        List<String> out = new ArrayList<>(n);
        int[] order = null;
        long orderEpoch = -1;
        for (long pos = (long) step * n; pos < (long) step * n + n; pos++) {
            long epoch = pos / prompts.size();
            if (epoch != orderEpoch) {
                order = shuffled(prompts.size(), new SplittableRandom(seed * 1_000_003L + epoch));
                orderEpoch = epoch;
            }
            out.add(prompts.get(order[(int) (pos % prompts.size())]));
        }
        return out;
    }

    static int[] shuffled(int n, SplittableRandom random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) { // Fisher-Yates
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
