package dev.tunelab.eval;

import dev.tunelab.LanguageModel;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import dev.tunelab.generate.GenerationConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * A counterfactual bias check: each prompt and its gender-swapped twin ({@link Counterfactuals})
 * are continued by the model with the same sampling seed, and the two completions compared on
 * sentiment ({@link SentimentJudge}), toxic terms ({@link Toxicity}) and likelihood (the mean
 * log-probability per token of the completion's text given its prompt, under the same model).
 * Each pair is oriented female side minus male side ({@link Counterfactuals#side}); the mean gap
 * over pairs gets a paired bootstrap interval ({@link PairedBootstrap}). A prompt with no
 * gendered word, or as many female as male words, has no side and is left out (counted).
 *
 * <pre>{@code
 * BiasResult r = BiasCheck.run(lm, openings, GenerationConfig.sample(0.8).topP(0.95).maxNewTokens(60).seed(1));
 * r;             // one row per measure: female mean, male mean, gap, 95% interval
 * r.details();   // one row per pair: both prompts, both completions, the measures
 * }</pre>
 *
 * <p>Each prompt is continued alone with seed {@code config.seed() + i} for pair {@code i}, and
 * both sides of a pair with that one seed: in a batch the rows share one random stream, so a
 * row's draws would depend on the other rows.
 */
public final class BiasCheck {
    private BiasCheck() {}

    /** The check with tunelab's story lists (swaps, sentiment lexicon, toxicity list), 1,000 resamples, seed 0. */
    public static BiasResult run(LanguageModel lm, List<String> prompts, GenerationConfig config) {
        return run(lm, prompts, config, Counterfactuals.stories(), SentimentJudge.stories(), Toxicity.stories(),
                WinRate.DEFAULT_RESAMPLES, 0);
    }

    public static BiasResult run(LanguageModel lm, List<String> prompts, GenerationConfig config, Counterfactuals swaps,
            SentimentJudge judge, Toxicity toxicity, int resamples, long seed) {
        List<String[]> sides = new ArrayList<>(); // {female prompt, male prompt}
        int skipped = 0;
        for (String p : prompts) {
            String twin = swaps.swap(p);
            int side = swaps.side(p);
            if (twin.equals(p) || side == 0) {
                skipped++;
                continue;
            }
            sides.add(side > 0 ? new String[] {p, twin} : new String[] {twin, p});
        }
        if (sides.isEmpty()) {
            throw new IllegalArgumentException("none of the " + prompts.size() + " prompts has a gendered side to swap");
        }
        List<String> femalePrompts = new ArrayList<>();
        List<String> malePrompts = new ArrayList<>();
        List<String> femaleOut = new ArrayList<>();
        List<String> maleOut = new ArrayList<>();
        for (int i = 0; i < sides.size(); i++) {
            GenerationConfig same = config.seed(config.seed() + i);
            femalePrompts.add(sides.get(i)[0]);
            malePrompts.add(sides.get(i)[1]);
            femaleOut.add(lm.generate(sides.get(i)[0], same).text());
            maleOut.add(lm.generate(sides.get(i)[1], same).text());
        }
        double[] femaleLp = meanLogProb(lm, femalePrompts, femaleOut);
        double[] maleLp = meanLogProb(lm, malePrompts, maleOut);
        List<BiasResult.Pair> pairs = new ArrayList<>();
        for (int i = 0; i < sides.size(); i++) {
            pairs.add(new BiasResult.Pair(femalePrompts.get(i), malePrompts.get(i), femaleOut.get(i), maleOut.get(i),
                    judge.score(femaleOut.get(i)), judge.score(maleOut.get(i)),
                    toxicity.score(femaleOut.get(i)).count(), toxicity.score(maleOut.get(i)).count(), femaleLp[i], maleLp[i]));
        }
        return BiasResult.of(pairs, skipped, resamples, seed);
    }

    /** Mean log-probability per token of each completion given its prompt; NaN for an empty completion. */
    static double[] meanLogProb(LanguageModel lm, List<String> prompts, List<String> completions) {
        double[] out = new double[prompts.size()];
        List<Integer> scored = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            out[i] = Double.NaN;
            if (!completions.get(i).isEmpty()) {
                scored.add(i);
            }
        }
        List<ReferenceNll.Score> nll = scored.isEmpty() ? List.of()
                : ReferenceNll.of(lm, scored.stream().map(prompts::get).toList(), scored.stream().map(completions::get).toList(), 16);
        for (int k = 0; k < scored.size(); k++) {
            ReferenceNll.Score s = nll.get(k);
            out[scored.get(k)] = s.tokens() == 0 ? Double.NaN : -s.nllSum() / s.tokens();
        }
        return out;
    }

    /** The pairs and the gap of each measure; renders as one row per measure. */
    public record BiasResult(List<Pair> pairs, List<Measure> measures, int skipped) implements Renderable {
        /** One prompt pair: both sides' prompts and completions and the three measures of each. */
        public record Pair(String femalePrompt, String malePrompt, String femaleCompletion, String maleCompletion,
                double femaleSentiment, double maleSentiment, int femaleToxic, int maleToxic, double femaleLogProb,
                double maleLogProb) {}

        /** One measure over the pairs: the two sides' means and the gap (female - male) with its interval. */
        public record Measure(String name, double femaleMean, double maleMean, PairedBootstrap.Gap gap) {}

        public BiasResult {
            pairs = List.copyOf(pairs);
            measures = List.copyOf(measures);
        }

        static BiasResult of(List<Pair> pairs, int skipped, int resamples, long seed) {
            List<Measure> measures = new ArrayList<>();
            measures.add(measure("sentiment", pairs.stream().mapToDouble(Pair::femaleSentiment).toArray(),
                    pairs.stream().mapToDouble(Pair::maleSentiment).toArray(), resamples, seed));
            measures.add(measure("toxic terms", pairs.stream().mapToDouble(Pair::femaleToxic).toArray(),
                    pairs.stream().mapToDouble(Pair::maleToxic).toArray(), resamples, seed));
            // Pairs with an empty completion on either side have no likelihood and are left out of this one.
            List<Pair> scored = pairs.stream().filter(p -> !Double.isNaN(p.femaleLogProb()) && !Double.isNaN(p.maleLogProb())).toList();
            if (!scored.isEmpty()) {
                measures.add(measure("mean log-prob", scored.stream().mapToDouble(Pair::femaleLogProb).toArray(),
                        scored.stream().mapToDouble(Pair::maleLogProb).toArray(), resamples, seed));
            }
            return new BiasResult(pairs, measures, skipped);
        }

        private static Measure measure(String name, double[] female, double[] male, int resamples, long seed) {
            return new Measure(name, Arrays.stream(female).average().orElseThrow(),
                    Arrays.stream(male).average().orElseThrow(),
                    PairedBootstrap.meanGap(female, male, resamples, WinRate.DEFAULT_CONFIDENCE, seed));
        }

        /** The measure called {@code name} ("sentiment", "toxic terms", "mean log-prob"). */
        public Measure measure(String name) {
            return measures.stream().filter(m -> m.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no measure " + name + "; have "
                            + measures.stream().map(Measure::name).toList()));
        }

        /** One row per measure: pairs, female mean, male mean, gap (female - male), its 95% interval. */
        public Table table() {
            StringColumn name = StringColumn.create("measure");
            IntColumn n = IntColumn.create("pairs");
            DoubleColumn f = DoubleColumn.create("female");
            DoubleColumn m = DoubleColumn.create("male");
            DoubleColumn gap = DoubleColumn.create("gap (f - m)");
            DoubleColumn low = DoubleColumn.create("95% low");
            DoubleColumn high = DoubleColumn.create("95% high");
            for (Measure x : measures) {
                name.append(x.name());
                n.append(x.gap().n());
                f.append(x.femaleMean());
                m.append(x.maleMean());
                gap.append(x.gap().mean());
                low.append(x.gap().lower());
                high.append(x.gap().upper());
            }
            return Table.create("counterfactual bias (" + skipped + " prompts without a side left out)", name, n, f, m, gap, low, high);
        }

        /** One row per pair: the female prompt and both completions with their measures. */
        public Table details() {
            return Table.create("counterfactual pairs",
                    StringColumn.create("female prompt", pairs.stream().map(Pair::femalePrompt).toList()),
                    StringColumn.create("female completion", pairs.stream().map(Pair::femaleCompletion).toList()),
                    StringColumn.create("male completion", pairs.stream().map(Pair::maleCompletion).toList()),
                    DoubleColumn.create("sentiment f", pairs.stream().mapToDouble(Pair::femaleSentiment).toArray()),
                    DoubleColumn.create("sentiment m", pairs.stream().mapToDouble(Pair::maleSentiment).toArray()),
                    IntColumn.create("toxic f", pairs.stream().mapToInt(Pair::femaleToxic).toArray()),
                    IntColumn.create("toxic m", pairs.stream().mapToInt(Pair::maleToxic).toArray()),
                    DoubleColumn.create("log-prob f", pairs.stream().mapToDouble(Pair::femaleLogProb).toArray()),
                    DoubleColumn.create("log-prob m", pairs.stream().mapToDouble(Pair::maleLogProb).toArray()));
        }

        @Override
        public Map<String, String> mimeBundle() {
            return Tables.mimeBundle(table(), Tables.DEFAULT_MAX_ROWS);
        }
    }
}
