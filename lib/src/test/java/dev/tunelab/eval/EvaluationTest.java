package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.tunelab.LanguageModel;
import dev.tunelab.display.MimeBundles;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.train.SftTestTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

class EvaluationTest {
    static final List<String> PROMPTS = List.of("Where did the cat sit?", "Capital of France?");
    static final List<String> REFERENCES = List.of("the cat sat on the mat", "Paris");

    @Test
    void scoresEachExampleAndSummarises() {
        EvaluationResult r = Evaluation.on(PROMPTS, REFERENCES).score("rule", List.of("the cat sat on the mat", "London"));
        Table t = r.examples();
        assertEquals(2, t.rowCount());
        assertArrayEquals(new double[] {100, 0}, t.doubleColumn("exact_match").asDoubleArray());
        assertArrayEquals(new double[] {100, 0}, t.doubleColumn("token_f1").asDoubleArray());
        assertArrayEquals(new double[] {100, 0}, t.doubleColumn("rougeL").asDoubleArray());
        assertEquals(50.0, r.metric("exact_match"), 1e-12);
        assertEquals(50.0, r.metric("rouge1"), 1e-12);
        // Corpus BLEU by hand: 7 hypothesis tokens, 7 reference tokens (BP = 1); matched n-grams 6/7, 5/5, 4/4, 3/3.
        assertEquals(100 * Math.pow(6 / 7.0, 0.25), r.metric("bleu"), 1e-9);
        // distinct-1: the cat sat on the mat London -> 6 of 7; distinct-2: 5 of 5.
        assertEquals(100 * 6 / 7.0, r.metric("distinct_1"), 1e-9);
        assertEquals(100.0, r.metric("distinct_2"), 1e-9);
        assertEquals(0.0, r.metric("self_bleu"), 0); // the two outputs share no token
        assertEquals(3.5, r.metric("output_words"), 0);
        assertEquals(1, r.worst("rougeL", 1).intColumn("example").get(0));
        var unknown = assertThrows(IllegalArgumentException.class, () -> r.metric("meteor"));
        assertTrue(unknown.getMessage().contains("exact_match"), unknown.getMessage());
        Map<String, String> bundle = MimeBundles.of(r);
        assertTrue(bundle.get(MimeBundles.HTML).contains("<td>London</td>"), bundle.get(MimeBundles.HTML));
        // numbers as Numbers writes them: bleu 96.2224..., distinct_1 85.714...
        assertTrue(r.toString().startsWith("rule: "), r.toString());
        assertTrue(r.toString().contains(" exact_match=50 ") && r.toString().contains(" bleu=96.22 ")
                && r.toString().contains(" distinct_1=85.71 "), r.toString());
        assertShowsNoNoise(bundle.values().toArray(new String[0]));
        // Tablesaw's own printing of the tables reads the same way
        assertShowsNoNoise(r.examples().print(), r.summaryTable().print());
        assertTrue(r.summaryTable().print().contains("96.22"), r.summaryTable().print());
    }

    /** A number with seven or more decimals is noise that Numbers rounds away. */
    static void assertShowsNoNoise(String... shown) {
        for (String s : shown) {
            assertFalse(Pattern.compile("\\d+\\.\\d{7,}").matcher(s).find(), s);
        }
    }

    @Test
    void comparisonShowsDeltasTheBetterSideAndAChart() {
        Evaluation eval = Evaluation.on(PROMPTS, REFERENCES);
        EvaluationResult base = eval.score("base", List.of("a dog", "London"));
        EvaluationResult tuned = eval.score("tuned", List.of("the cat sat on the mat", "Paris"));
        Comparison c = Evaluation.compare(base, tuned);
        Table t = c.table();
        int em = t.stringColumn("metric").indexOf("exact_match");
        assertEquals(0.0, t.doubleColumn("base").get(em), 0);
        assertEquals(100.0, t.doubleColumn("tuned").get(em), 0);
        assertEquals(100.0, t.doubleColumn("delta").get(em), 0);
        assertEquals("tuned", t.stringColumn("better").get(em));
        // self-BLEU: lower is better, so its "better" side follows the sign the other way.
        int self = t.stringColumn("metric").indexOf("self_bleu");
        double d = t.doubleColumn("delta").get(self);
        assertEquals(d == 0 ? "=" : d < 0 ? "tuned" : "base", t.stringColumn("better").get(self));
        Table perExample = c.perExample("rougeL");
        assertEquals(List.of(0, 1), perExample.intColumn("example").asList().stream().sorted().toList());
        assertEquals(100.0, perExample.doubleColumn("delta").get(0), 0);
        assertEquals(2, c.chart().getSeriesMap().size());
        Map<String, String> bundle = c.mimeBundle();
        assertTrue(bundle.get(MimeBundles.PNG).startsWith("iVBORw0KGgo"), "a PNG image"); // base64 of the PNG signature
        assertTrue(bundle.get(MimeBundles.HTML).contains("data:image/png;base64,"));
        assertEquals("Held-out scores (0–100): base vs tuned", c.chart().getTitle());
        assertEquals("score (0–100)", c.chart().getYAxisTitle());
        assertShowsNoNoise(bundle.get(MimeBundles.HTML), bundle.get(MimeBundles.TEXT), c.toString(), t.print(), perExample.print());
        // A judge preferring the output closer to the reference (ROUGE-L): tuned wins both prompts.
        WinRateResult wins = c.winRate((prompt, a, b) -> {
            String ref = REFERENCES.get(PROMPTS.indexOf(prompt));
            double fa = Rouge.rougeL(ref, a, false).fmeasure();
            double fb = Rouge.rougeL(ref, b, false).fmeasure();
            return fa == fb ? WinRate.Verdict.TIE : fa > fb ? WinRate.Verdict.A : WinRate.Verdict.B;
        });
        assertEquals(2, wins.wins());
        assertEquals(1.0, wins.winRate(), 0);
        assertEquals("win rate 1 [1, 1] (95% bootstrap CI, 1,000 resamples, seed 0): 2 wins, 0 losses, 0 ties", wins.toString());
        EvaluationResult shorter = Evaluation.on(List.of("p"), List.of("r")).score("other", List.of("r"));
        assertThrows(IllegalArgumentException.class, () -> Evaluation.compare(base, shorter));
    }

    @Test
    void metricsScoredElsewhereJoinTheSummaryAndTheComparison() {
        Evaluation eval = Evaluation.on(PROMPTS, REFERENCES);
        EvaluationResult base = eval.score("base", List.of("a dog", "London")).withMetric("task_pass_rate", 50.0);
        EvaluationResult tuned = eval.score("tuned", List.of("the cat sat on the mat", "Paris"))
                .withMetric("task_pass_rate", 100.0)
                .withColumn(tech.tablesaw.api.StringColumn.create("task_check", "passes", "passes"));
        Table t = Evaluation.compare(base, tuned).table();
        int pass = t.stringColumn("metric").indexOf("task_pass_rate");
        assertEquals(50.0, t.doubleColumn("delta").get(pass), 0);
        assertEquals("tuned", t.stringColumn("better").get(pass));
        assertEquals(List.of("passes", "passes"), tuned.examples().stringColumn("task_check").asList());
        assertThrows(IllegalArgumentException.class,
                () -> base.withColumn(tech.tablesaw.api.StringColumn.create("x", "only one")));
    }

    @Test
    void badHeldOutSetsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Evaluation.on(List.of("a", "b"), List.of("x")));
        assertThrows(IllegalArgumentException.class, () -> Evaluation.on(List.of(), List.of()));
        var nullRef = assertThrows(IllegalArgumentException.class, () -> Evaluation.on(List.of("a"), java.util.Arrays.asList((String) null)));
        assertTrue(nullRef.getMessage().contains("reference 0"), nullRef.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Evaluation.on(PROMPTS, REFERENCES).score("x", List.of("one")));
    }

    @Test
    void runsAModelAndScoresTheReferenceLikelihood(@TempDir Path tmp) {
        try (LanguageModel lm = new LanguageModel(LlamaModel.create(LlamaConfig.builder().vocabSize(SftTestTokenizer.VOCAB)
                .hiddenSize(32).intermediateSize(64).layers(1).heads(4).kvHeads(2).maxPositions(128).build(), 7),
                SftTestTokenizer.create(tmp.resolve("tok")))) {
            GenerationConfig greedy = GenerationConfig.greedy().maxNewTokens(4);
            EvaluationResult r = Evaluation.on(PROMPTS, REFERENCES).generation(greedy).batchSize(1).run("tiny", lm);
            Table t = r.examples();
            assertEquals(2, t.rowCount());
            for (int i = 0; i < 2; i++) {
                assertEquals(lm.generate(PROMPTS.get(i), greedy).text(), t.stringColumn("output").get(i));
            }
            assertTrue(t.containsColumn("finish_reason"));
            // Reference NLL by hand: one unpadded pass over prompt + reference, log-softmax in double.
            double total = 0;
            long tokens = 0;
            for (int i = 0; i < 2; i++) {
                long[] prompt = lm.tokenizer().encode(PROMPTS.get(i));
                long[] answer = lm.tokenizer().encode(REFERENCES.get(i), false);
                double nll = answerNll(lm.model(), prompt, answer);
                assertEquals(nll / answer.length, t.doubleColumn("reference_nll").get(i), 1e-4 * nll / answer.length);
                total += nll;
                tokens += answer.length;
            }
            assertEquals(Math.exp(total / tokens), r.metric("reference_perplexity"), 1e-4 * Math.exp(total / tokens));
            // A prompt format changes what the model reads (generation and reference likelihood), not the table's prompts;
            // the original Evaluation is left as it was.
            Evaluation plain = Evaluation.on(PROMPTS, REFERENCES).generation(greedy).batchSize(1);
            Evaluation prompted = plain.promptFormat(p -> "Q: " + p + "\nA:");
            EvaluationResult pr = prompted.run("prompted", lm);
            assertEquals(PROMPTS, pr.examples().stringColumn("prompt").asList());
            assertEquals(lm.generate("Q: " + PROMPTS.get(1) + "\nA:", greedy).text(), pr.examples().stringColumn("output").get(1));
            long[] formatted = lm.tokenizer().encode("Q: " + PROMPTS.get(1) + "\nA:");
            long[] answer1 = lm.tokenizer().encode(REFERENCES.get(1), false);
            double nll1 = answerNll(lm.model(), formatted, answer1) / answer1.length;
            assertEquals(nll1, pr.examples().doubleColumn("reference_nll").get(1), 1e-4 * nll1);
            assertEquals(r.examples().doubleColumn("reference_nll").get(1),
                    plain.run("again", lm).examples().doubleColumn("reference_nll").get(1), 1e-6);
            // Embedding cosine under the model: an output equal to its reference scores 1.
            EvaluationResult echo = Evaluation.on(PROMPTS, REFERENCES).embedder(lm).score("echo",
                    List.of(REFERENCES.get(0), "something else entirely"));
            assertEquals(1.0, echo.examples().doubleColumn("embedding_cosine").get(0), 1e-6);
            assertTrue(echo.examples().doubleColumn("embedding_cosine").get(1) < 1 - 1e-4);
        }
    }

    static double answerNll(LlamaModel model, long[] prompt, long[] answer) {
        long[] all = new long[prompt.length + answer.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(answer, 0, all, prompt.length, answer.length);
        int v = model.config().vocabSize();
        try (NDManager m = model.manager().newSubManager()) {
            float[] logits = model.forward(m.create(all).reshape(1, all.length)).toFloatArray();
            double nll = 0;
            for (int t = prompt.length; t < all.length; t++) {
                int row = (t - 1) * v; // position t - 1 predicts token t
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < v; k++) {
                    max = Math.max(max, logits[row + k]);
                }
                double z = 0;
                for (int k = 0; k < v; k++) {
                    z += Math.exp(logits[row + k] - max);
                }
                nll += max + Math.log(z) - logits[row + (int) all[t]];
            }
            return nll;
        }
    }
}
