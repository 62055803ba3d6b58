package dev.tunelab.align;

import dev.tunelab.LanguageModel;
import dev.tunelab.display.Numbers;
import dev.tunelab.display.Tables;
import dev.tunelab.eval.RewardFunction;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.generate.Generator;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Best-of-N sampling, the baseline of the DPO paper's sentiment experiment (Rafailov et al. 2023,
 * Figure 2) and of Stiennon et al. 2020: sample N completions per prompt from the model and keep
 * the one the reward function scores highest. No training; its KL from the sampling model is at
 * most log N - (N - 1) / N (Stiennon et al. 2020, appendix; Beirami et al. 2024 show it is a bound).
 */
public final class BestOfN {
    private BestOfN() {}

    /** The kept completion of one prompt, with every candidate and its score. */
    public record Choice(String prompt, String best, double bestScore, List<String> candidates, double[] scores) {
        /** The mean score of the N candidates: what sampling once would score on average. */
        public double meanScore() {
            return Arrays.stream(scores).average().orElse(Double.NaN);
        }

        /** {@code best of 4 (score 0.8123, mean 0.4): "the kept text"}, the text cut to a line. */
        @Override
        public String toString() {
            String text = best.strip().replaceAll("\\s+", " ");
            if (text.length() > 80) text = text.substring(0, 79) + "…";
            return "best of " + candidates.size() + " (score " + Numbers.format(bestScore) + ", mean "
                    + Numbers.format(meanScore()) + "): \"" + text + "\"";
        }
    }

    /**
     * One row per prompt: the prompt, the kept completion, its score, and the mean score of the N
     * candidates; shows in a notebook through {@link Tables} (long texts one click away).
     */
    public static Table table(List<Choice> choices) {
        int n = choices.isEmpty() ? 0 : choices.get(0).candidates().size();
        return Table.create(n == 0 ? "best-of-N: no prompts" : "best-of-" + n + ": the highest-scoring of " + n + " samples per prompt",
                StringColumn.create("prompt", choices.stream().map(Choice::prompt).toList()),
                StringColumn.create("kept completion", choices.stream().map(Choice::best).toList()),
                DoubleColumn.create("score", choices.stream().mapToDouble(Choice::bestScore).toArray()),
                DoubleColumn.create("mean score of the " + n, choices.stream().mapToDouble(Choice::meanScore).toArray()));
    }

    /**
     * @param config sampling settings (the seed makes the draws repeatable); N copies of each prompt
     *     are generated in one batch
     */
    public static List<Choice> sample(LlamaModel model, Tokenizer tokenizer, List<String> prompts, int n,
            RewardFunction reward, GenerationConfig config) {
        if (n < 1) {
            throw new IllegalArgumentException("N must be at least 1, got " + n);
        }
        Generator generator = LanguageModel.generator(model, tokenizer);
        List<long[]> ids = new ArrayList<>();
        List<String> repeated = new ArrayList<>();
        for (String p : prompts) {
            long[] encoded = tokenizer.encode(p);
            for (int k = 0; k < n; k++) {
                ids.add(encoded);
                repeated.add(p);
            }
        }
        boolean wasTraining = model.isTraining();
        model.train(false);
        List<Generation> generations;
        try {
            generations = generator.generate(ids, config);
        } finally {
            model.train(wasTraining);
        }
        List<String> texts = generations.stream().map(Generation::text).toList();
        double[] scores = reward.scores(repeated, texts);
        List<Choice> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            int best = i * n;
            for (int k = i * n + 1; k < (i + 1) * n; k++) {
                if (scores[k] > scores[best]) {
                    best = k;
                }
            }
            out.add(new Choice(prompts.get(i), texts.get(best), scores[best], List.copyOf(texts.subList(i * n, (i + 1) * n)),
                    Arrays.copyOfRange(scores, i * n, (i + 1) * n)));
        }
        return out;
    }

    /** The analytic KL(best-of-N || base) = log N - (N - 1) / N, in nats (an upper bound; exact without ties). */
    public static double kl(int n) {
        return Math.log(n) - (n - 1.0) / n;
    }
}
