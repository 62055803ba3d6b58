package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tunelab.LanguageModel;
import dev.tunelab.data.DataFormatException;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multiple-choice scores against log-likelihoods computed by hand. The toy model has its
 * attention and MLP output projections zeroed, so every layer adds nothing to the residual stream
 * and the model is a bigram table in closed form: with tied embeddings E and RMSNorm gain 1, the
 * logits after token x are E · (E[x] / rms(E[x])). The test computes that with plain arrays.
 */
class MultipleChoiceTest {
    static final Path TOKENIZER = Path.of("..", "datasets", "models", "tinystories-base");

    static LanguageModel bigramModel() {
        Tokenizer tok = Tokenizer.load(TOKENIZER);
        LlamaConfig c = LlamaConfig.builder().vocabSize(tok.vocabSize()).hiddenSize(8).intermediateSize(16).layers(1).heads(2)
                .kvHeads(1).maxPositions(512).tieWordEmbeddings(true).initializerRange(1.0).build();
        LlamaModel model = LlamaModel.create(c, 5);
        model.namedParameters().forEach((name, p) -> {
            if (name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight")) {
                p.set(p.data().zerosLike());
            }
        });
        model.train(false);
        return new LanguageModel(model, tok);
    }

    /** Sum of log p(token t | token t-1) over the tokens from {@code from} on, by the closed form. */
    static double handLoglik(float[][] e, double eps, long[] ids, int from) {
        double sum = 0;
        for (int t = from; t < ids.length; t++) {
            float[] x = e[(int) ids[t - 1]];
            double ms = 0;
            for (float v : x) {
                ms += v * v;
            }
            double inv = 1 / Math.sqrt(ms / x.length + eps);
            double[] logits = new double[e.length];
            double max = Double.NEGATIVE_INFINITY;
            for (int y = 0; y < e.length; y++) {
                for (int d = 0; d < x.length; d++) {
                    logits[y] += e[y][d] * x[d] * inv;
                }
                max = Math.max(max, logits[y]);
            }
            double z = 0;
            for (double l : logits) {
                z += Math.exp(l - max);
            }
            sum += logits[(int) ids[t]] - max - Math.log(z);
        }
        return sum;
    }

    static float[][] embeddings(LanguageModel lm) {
        Parameter p = lm.model().namedParameters().get("model.embed_tokens.weight");
        float[] flat = p.data().toFloatArray();
        int hidden = lm.model().config().hiddenSize();
        float[][] e = new float[flat.length / hidden][];
        for (int i = 0; i < e.length; i++) {
            e[i] = Arrays.copyOfRange(flat, i * hidden, (i + 1) * hidden);
        }
        return e;
    }

    @Test
    void logLikelihoodsAccAndAccNormMatchTheClosedForm() {
        try (LanguageModel lm = bigramModel()) {
            float[][] e = embeddings(lm);
            List<MultipleChoice.Question> questions = List.of(
                    new MultipleChoice.Question("The cat sat on the", List.of("mat.", "big red mat by the door.", "dog"), 0),
                    new MultipleChoice.Question("Lily went to the park", List.of("and played.", "with her mom and dad", "."), 1),
                    new MultipleChoice.Question("Once upon a time", List.of("there was a girl", "a", "in a land far away"), 2));
            MultipleChoiceResult r = MultipleChoice.score(lm, questions, 4);
            int correct = 0;
            int correctNorm = 0;
            for (int q = 0; q < questions.size(); q++) {
                MultipleChoice.Question question = questions.get(q);
                long[] context = lm.tokenizer().encode(question.context());
                double[] expected = new double[question.choices().size()];
                int best = 0;
                int bestNorm = 0;
                for (int c = 0; c < expected.length; c++) {
                    String choice = question.choices().get(c);
                    long[] whole = lm.tokenizer().encode(question.context() + " " + choice);
                    // these contexts end in a whole word, so the join keeps the context's tokens
                    assertArrayEquals(context, Arrays.copyOf(whole, context.length));
                    expected[c] = handLoglik(e, lm.model().config().rmsNormEps(), whole, context.length);
                    assertEquals(whole.length - context.length, r.questions().get(q).tokens()[c]);
                    best = expected[c] > expected[best] ? c : best;
                    bestNorm = expected[c] / choice.length() > expected[bestNorm] / question.choices().get(bestNorm).length() ? c : bestNorm;
                }
                assertArrayEquals(expected, r.questions().get(q).loglik(), 1e-3, "question " + q);
                assertEquals(best, r.questions().get(q).predicted());
                assertEquals(bestNorm, r.questions().get(q).predictedNorm());
                correct += best == question.gold() ? 1 : 0;
                correctNorm += bestNorm == question.gold() ? 1 : 0;
            }
            assertEquals(correct / 3.0, r.acc(), 1e-12);
            assertEquals(correctNorm / 3.0, r.accNorm(), 1e-12);
            // the sums favour short choices; dividing by length changes at least one pick here
            assertNotEquals(Arrays.toString(r.questions().stream().mapToInt(MultipleChoiceResult.Scored::predicted).toArray()),
                    Arrays.toString(r.questions().stream().mapToInt(MultipleChoiceResult.Scored::predictedNorm).toArray()));
        }
    }

    @Test
    void accNormDividesByTheChoicesLengthAsTheHarnessDoes() {
        MultipleChoice.Question q = new MultipleChoice.Question("x", List.of("ab", "abcdef"), 1);
        // -3/2 = -1.5 < -6/6 = -1: the longer choice wins acc_norm though its sum is lower
        MultipleChoiceResult.Scored s = MultipleChoiceResult.Scored.of(q, new double[] {-3, -6}, new int[] {1, 3});
        assertEquals(0, s.predicted());
        assertEquals(1, s.predictedNorm());
        assertEquals(Math.sqrt(0.5 * 0.5 / 3), MultipleChoiceResult.stderr(0.5, 4), 1e-15);
    }

    @Test
    void loadsHellaSwagArcAndTunelabLines(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("mc.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"context\": \"The dog\", \"choices\": [\"ran.\", \"sat.\"], \"gold\": 1}",
                "{\"activity_label\": \"Removing ice from car\", \"ctx_a\": \"Then, the man writes over the snow covering the window of a car.\","
                        + " \"ctx_b\": \"a woman wearing winter CLOTHES\", \"endings\": [\" [header] spreads  paste.\", \"stands [title] Smiles\"], \"label\": \"1\"}",
                "{\"question\": \"Which is a mammal?\", \"choices\": {\"text\": [\"shark\", \"whale\"], \"label\": [\"A\", \"B\"]}, \"answerKey\": \"B\"}",
                "{\"question\": {\"stem\": \"2+2?\", \"choices\": [{\"text\": \"3\", \"label\": \"1\"}, {\"text\": \"4\", \"label\": \"2\"}]}, \"answerKey\": \"2\"}",
                ""));
        List<MultipleChoice.Question> qs = MultipleChoice.load(file);
        assertEquals(new MultipleChoice.Question("The dog", List.of("ran.", "sat."), 1), qs.get(0));
        assertEquals(new MultipleChoice.Question("Removing ice from car: Then, the man writes over the snow covering the window of a car."
                + " A woman wearing winter clothes", List.of(" spreads paste.", "stands. Smiles"), 1), qs.get(1)); // the harness strips before removing tags
        assertEquals(new MultipleChoice.Question("Question: Which is a mammal?\nAnswer:", List.of("shark", "whale"), 1), qs.get(2));
        assertEquals(new MultipleChoice.Question("Question: 2+2?\nAnswer:", List.of("3", "4"), 1), qs.get(3));
        Files.writeString(file, "{\"prompt\": \"x\"}\n");
        DataFormatException bad = assertThrows(DataFormatException.class, () -> MultipleChoice.load(file));
        assertEquals(true, bad.getMessage().contains("mc.jsonl:1:"), bad.getMessage());
    }
}
