package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerplexityTest {
    static final int VOCAB = 50;
    static LlamaModel model;

    @BeforeAll
    static void create() {
        model = LlamaModel.create(LlamaConfig.builder().vocabSize(VOCAB).hiddenSize(32).intermediateSize(64).layers(2)
                .heads(4).kvHeads(2).maxPositions(64).tieWordEmbeddings(false).build(), 11);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static long[] randomTokens(int n, long seed) {
        Random r = new Random(seed);
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(VOCAB);
        }
        return t;
    }

    /** -log p(tokens[t] | tokens[from..t-1]) by running the model on that slice and a log-softmax by hand. */
    static double nll(long[] tokens, int from, int t) {
        try (NDManager m = model.manager().newSubManager()) {
            long[] context = Arrays.copyOfRange(tokens, from, t);
            float[] logits = model.forward(m.create(context).reshape(1, context.length)).get(0, context.length - 1).toFloatArray();
            double max = Double.NEGATIVE_INFINITY;
            for (float v : logits) {
                max = Math.max(max, v);
            }
            double z = 0;
            for (float v : logits) {
                z += Math.exp(v - max);
            }
            return max + Math.log(z) - logits[(int) tokens[t]];
        }
    }

    @Test
    void windowsWithOverlapScoreEveryTokenAfterTheFirstExactlyOnce() {
        long[] tokens = randomTokens(23, 1);
        for (int[] ws : new int[][] {{8, 3}, {8, 7}, {5, 1}, {30, 4}, {8, 8}}) {
            int window = ws[0];
            int stride = ws[1];
            int[] scored = new int[tokens.length];
            int begin = 0;
            for (Perplexity.Window w : Perplexity.windows(tokens, window, stride)) {
                assertTrue(w.ids().length <= window);
                assertEquals(Arrays.toString(Arrays.copyOfRange(tokens, begin, begin + w.ids().length)), Arrays.toString(w.ids()));
                for (int i = 1; i < w.ids().length; i++) { // position 0 predicts nothing
                    if (w.labels()[i] != Losses.IGNORE_INDEX) {
                        assertEquals(w.ids()[i], w.labels()[i]);
                        scored[begin + i]++;
                    }
                }
                begin += stride;
            }
            for (int t = 1; t < tokens.length; t++) {
                // Without overlap the first token of each later window has no context and is skipped.
                int expected = stride == window && t % window == 0 ? 0 : 1;
                assertEquals(expected, scored[t], "token " + t + " with window " + window + ", stride " + stride);
            }
        }
    }

    @Test
    void withoutOverlapItIsExpOfTheMeanNllOfEachChunk() {
        long[] tokens = randomTokens(30, 2);
        PerplexityResult r = Perplexity.ofTokens(model, tokens, 8, 8);
        // Chunks [0,8) [8,16) [16,24) [24,30): each predicts its tokens 1.. from the chunk alone.
        double sum = 0;
        int count = 0;
        for (int start = 0; start < tokens.length; start += 8) {
            int end = Math.min(start + 8, tokens.length);
            for (int t = start + 1; t < end; t++) {
                sum += nll(tokens, start, t);
                count++;
            }
        }
        assertEquals(count, r.tokens());
        assertEquals(26, count);
        assertEquals(sum / count, r.nll(), 1e-5 * sum / count);
        assertEquals(Math.exp(sum / count), r.perplexity(), 1e-4 * r.perplexity());
    }

    @Test
    void withOverlapEachTokenIsScoredOnceWithItsWindowsContext() {
        long[] tokens = randomTokens(30, 3);
        int window = 10;
        int stride = 4;
        PerplexityResult r = Perplexity.ofTokens(model, tokens, window, stride);
        // Token t is scored by the first window that reaches past it: k = ceil((t + 1 - window) / stride),
        // which starts at k * stride.
        double sum = 0;
        for (int t = 1; t < tokens.length; t++) {
            int k = Math.max(0, Math.floorDiv(t + 1 - window + stride - 1, stride));
            sum += nll(tokens, k * stride, t);
        }
        assertEquals(tokens.length - 1, r.tokens());
        assertEquals(sum / (tokens.length - 1), r.nll(), 1e-5 * r.nll());
        // A window covering the whole text gives the plain full-context NLL, different from the windowed one.
        double full = 0;
        for (int t = 1; t < tokens.length; t++) {
            full += nll(tokens, 0, t);
        }
        PerplexityResult whole = Perplexity.ofTokens(model, tokens, 30, 30);
        assertEquals(full / (tokens.length - 1), whole.nll(), 1e-5 * whole.nll());
    }

    @Test
    void textsAreScoredSeparatelyAndBatchingChangesNothing(@TempDir Path tmp) {
        try (Tokenizer tok = SftTestTokenizer.create(tmp.resolve("tok"));
                LlamaModel bytes = LlamaModel.create(LlamaConfig.builder().vocabSize(SftTestTokenizer.VOCAB).hiddenSize(32)
                        .intermediateSize(64).layers(1).heads(4).kvHeads(2).maxPositions(64).build(), 5)) {
            List<String> texts = List.of("the cat sat on the mat", "hi", "a somewhat longer line of text here");
            PerplexityResult r = Perplexity.of(bytes, tok, texts, 16, 8);
            // "<s>" + bytes per text, every token after the first scored once.
            long expected = texts.stream().mapToLong(s -> s.length()).sum();
            assertEquals(expected, r.tokens());
            List<long[]> encoded = texts.stream().map(s -> tok.encode(s, true)).toList();
            PerplexityResult oneByOne = Perplexity.ofSequences(bytes, encoded, 16, 8, 1);
            assertEquals(r.nll(), oneByOne.nll(), 1e-5 * r.nll());
            assertTrue(r.toString().startsWith("perplexity "), r.toString());
        }
    }

    @Test
    void badSettingsAreRejected() {
        long[] tokens = randomTokens(10, 4);
        assertThrows(IllegalArgumentException.class, () -> Perplexity.ofTokens(model, tokens, 8, 9));
        assertThrows(IllegalArgumentException.class, () -> Perplexity.ofTokens(model, tokens, 8, 0));
        assertThrows(IllegalArgumentException.class, () -> Perplexity.ofTokens(model, tokens, 65, 8));
        assertThrows(IllegalArgumentException.class, () -> Perplexity.ofTokens(model, new long[] {3}, 8, 8));
    }
}
