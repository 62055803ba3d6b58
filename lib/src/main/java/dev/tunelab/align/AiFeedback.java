package dev.tunelab.align;

import ai.djl.ndarray.NDManager;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import dev.tunelab.eval.RewardFunction;
import dev.tunelab.eval.WinRate;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Phase 2 of Constitutional AI, RL from AI feedback (Bai et al. 2022, section 4.1): a feedback
 * model reads a prompt, two answers labelled (A) and (B) and a principle's comparison question,
 * and its next-token log-probabilities of "A" and "B" give the preference: P(A better) =
 * sigmoid(log p(A) - log p(B)), averaged over the constitution's principles (the paper ensembles
 * over principles) and, with {@link #bothOrders}, over both orders of the answers (to cancel a
 * preference for a position). The labels train DPO ({@link #label}), or the feedback model judges
 * online DPO's pairs directly (it is a {@link WinRate.Judge}).
 */
public final class AiFeedback implements WinRate.Judge {
    /** The comparison prompt; placeholders {@code {prompt}}, {@code {a}}, {@code {b}}, {@code {question}}. */
    public static final String STORY_TEMPLATE =
            "Story (A): {prompt} {a}\n\nStory (B): {prompt} {b}\n\n{question} The answer is: Story (";

    private final LlamaModel model;
    private final Tokenizer tokenizer;
    private final Constitution constitution;
    private String template = STORY_TEMPLATE;
    private boolean bothOrders = true;
    private int batchSize = 16;
    private final long[] optionA;
    private final long[] optionB;

    private AiFeedback(LlamaModel model, Tokenizer tokenizer, Constitution constitution) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.constitution = constitution;
        this.optionA = tokenizer.encode("A", false);
        this.optionB = tokenizer.encode("B", false);
    }

    /** A labeller asking {@code model} every principle's comparison question, both orders, in {@link #STORY_TEMPLATE}. */
    public static AiFeedback of(LlamaModel model, Tokenizer tokenizer, Constitution constitution) {
        return new AiFeedback(model, tokenizer, constitution);
    }

    public AiFeedback template(String v) {
        for (String p : List.of("{a}", "{b}", "{question}")) {
            if (!v.contains(p)) {
                throw new IllegalArgumentException("the comparison template needs the placeholder " + p + ": " + v);
            }
        }
        template = v;
        return this;
    }

    /** Whether each pair is also asked with the answers swapped, and the two readings averaged (default true). */
    public AiFeedback bothOrders(boolean v) { bothOrders = v; return this; }

    /** Comparison prompts per forward pass. */
    public AiFeedback batchSize(int v) { batchSize = Settings.positive(v, "batchSize"); return this; }

    /** P(first answer better than second) for each (prompt, first, second). */
    public double[] probabilities(List<String> prompts, List<String> firsts, List<String> seconds) {
        double[] p = new double[prompts.size()];
        int readings = 0;
        for (Constitution.Principle principle : constitution.principles()) {
            add(p, probabilityOfA(prompts, firsts, seconds, principle));
            readings++;
            if (bothOrders) {
                double[] swapped = probabilityOfA(prompts, seconds, firsts, principle);
                for (int i = 0; i < p.length; i++) {
                    p[i] += 1 - swapped[i];
                }
                readings++;
            }
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= readings;
        }
        return p;
    }

    @Override
    public WinRate.Verdict judge(String prompt, String a, String b) {
        double p = probabilities(List.of(prompt), List.of(a), List.of(b))[0];
        return p > 0.5 ? WinRate.Verdict.A : p < 0.5 ? WinRate.Verdict.B : WinRate.Verdict.TIE;
    }

    /** sigmoid(log p("A") - log p("B")) after each filled-in comparison prompt, one principle, answers in the given order. */
    private double[] probabilityOfA(List<String> prompts, List<String> as, List<String> bs, Constitution.Principle principle) {
        int n = prompts.size();
        double[] out = new double[n];
        boolean wasTraining = model.isTraining();
        model.train(false);
        try {
            for (int from = 0; from < n; from += batchSize) {
                int to = Math.min(n, from + batchSize);
                List<long[]> ids = new ArrayList<>();
                List<long[]> options = new ArrayList<>();
                for (long[] option : List.of(optionA, optionB)) {
                    for (int i = from; i < to; i++) {
                        ids.add(tokenizer.encode(template.replace("{prompt}", prompts.get(i)).replace("{a}", as.get(i).strip())
                                .replace("{b}", bs.get(i).strip()).replace("{question}", principle.comparison())));
                        options.add(option);
                    }
                }
                try (NDManager m = model.manager().newSubManager()) {
                    float[] logp = LogSpace.values(SequenceLogProbs.noGrad(model, CompletionBatch.of(ids, options), m).sum());
                    int b = to - from;
                    for (int i = 0; i < b; i++) {
                        out[from + i] = 1 / (1 + Math.exp(-(logp[i] - logp[b + i])));
                    }
                }
            }
        } finally {
            model.train(wasTraining);
        }
        return out;
    }

    private static void add(double[] into, double[] values) {
        for (int i = 0; i < into.length; i++) {
            into[i] += values[i];
        }
    }

    /**
     * AI labels for a rollout of two completions per prompt (completions 2i and 2i + 1 share a
     * prompt), measured against a programmatic judge ({@code gold}).
     *
     * @param pairs the labelled preference pairs (pairs of equal completions dropped), for DPO
     * @param probability the labeller's P(first completion better), one per prompt
     * @param gold the judge's score of the first and of the second completion, per prompt
     */
    public record Labels(List<PreferencePair> pairs, List<String> prompts, List<String> firsts, List<String> seconds,
            double[] probability, double[][] gold) implements Renderable {

        /**
         * Share of the pairs the judge separates (unequal scores) where the AI label picks the
         * judge's winner; 0.5 is what labels drawn at random would reach.
         */
        public double agreement() {
            int agree = 0;
            int counted = 0;
            for (int i = 0; i < probability.length; i++) {
                if (gold[i][0] == gold[i][1] || probability[i] == 0.5) {
                    continue;
                }
                counted++;
                agree += (probability[i] > 0.5) == (gold[i][0] > gold[i][1]) ? 1 : 0;
            }
            return counted == 0 ? Double.NaN : (double) agree / counted;
        }

        /** How many pairs the judge separates (the agreement's denominator, labeller ties aside). */
        public int judged() {
            int n = 0;
            for (double[] g : gold) {
                n += g[0] != g[1] ? 1 : 0;
            }
            return n;
        }

        /** Share of the prompts where the labeller prefers the first completion. */
        public double firstPreferred() {
            return Arrays.stream(probability).filter(p -> p > 0.5).count() / (double) probability.length;
        }

        public Table table() {
            return Table.create("AI labels: agreement with the judge " + String.format("%.3f", agreement()) + " on "
                    + judged() + " pairs the judge separates",
                    StringColumn.create("prompt", prompts),
                    StringColumn.create("first", firsts),
                    StringColumn.create("second", seconds),
                    DoubleColumn.create("AI P(first better)", probability),
                    DoubleColumn.create("judge first", Arrays.stream(gold).mapToDouble(g -> g[0]).toArray()),
                    DoubleColumn.create("judge second", Arrays.stream(gold).mapToDouble(g -> g[1]).toArray()));
        }

        @Override
        public Map<String, String> mimeBundle() {
            return Tables.mimeBundle(table());
        }
    }

    /** Labels a rollout of two samples per prompt ({@link Rollouts#sampleGroups} with groupSize 2), scored by {@code gold}. */
    public Labels label(Rollouts.Rollout twoPerPrompt, RewardFunction gold) {
        int n = twoPerPrompt.size() / 2;
        List<String> prompts = new ArrayList<>();
        List<String> firsts = new ArrayList<>();
        List<String> seconds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            prompts.add(twoPerPrompt.prompts().get(2 * i));
            firsts.add(twoPerPrompt.completions().get(2 * i));
            seconds.add(twoPerPrompt.completions().get(2 * i + 1));
        }
        double[] p = probabilities(prompts, firsts, seconds);
        double[][] scores = new double[n][];
        List<PreferencePair> pairs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            scores[i] = new double[] {gold.score(prompts.get(i), firsts.get(i)), gold.score(prompts.get(i), seconds.get(i))};
            long[] first = twoPerPrompt.completionIds().get(2 * i);
            long[] second = twoPerPrompt.completionIds().get(2 * i + 1);
            if (p[i] == 0.5 || Arrays.equals(first, second)) {
                continue; // no preference to learn
            }
            boolean firstWins = p[i] > 0.5;
            pairs.add(new PreferencePair(twoPerPrompt.promptIds().get(2 * i), firstWins ? first : second, firstWins ? second : first));
        }
        return new Labels(pairs, prompts, firsts, seconds, p, scores);
    }
}
