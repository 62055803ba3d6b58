package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * KL and embeddings on tiny random models, checked against a reference computed here in double
 * precision from one unpadded forward pass per sequence (so padding and batching are tested too).
 */
class ModelMetricsTest {
    static final int VOCAB = 50;
    static LlamaModel model;
    static LlamaModel same;
    static LlamaModel other;

    static LlamaConfig config() {
        return LlamaConfig.builder().vocabSize(VOCAB).hiddenSize(32).intermediateSize(64).layers(2).heads(4).kvHeads(2)
                .maxPositions(64).tieWordEmbeddings(false).build();
    }

    @BeforeAll
    static void create() {
        model = LlamaModel.create(config(), 11);
        same = LlamaModel.create(config(), 11);
        other = LlamaModel.create(config(), 12);
    }

    @AfterAll
    static void close() {
        model.close();
        same.close();
        other.close();
    }

    static List<long[]> sequences() {
        Random r = new Random(3);
        return List.of(tokens(r, 9), tokens(r, 4), tokens(r, 13), tokens(r, 1));
    }

    static long[] tokens(Random r, int n) {
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(VOCAB);
        }
        return t;
    }

    /** logits (T, V) of one sequence, alone. */
    static double[][] logits(LlamaModel m, long[] seq) {
        try (NDManager sub = m.manager().newSubManager()) {
            float[] flat = m.forward(sub.create(seq).reshape(1, seq.length)).toFloatArray();
            double[][] out = new double[seq.length][VOCAB];
            for (int t = 0; t < seq.length; t++) {
                for (int v = 0; v < VOCAB; v++) {
                    out[t][v] = flat[t * VOCAB + v];
                }
            }
            return out;
        }
    }

    static double[] logSoftmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double z = 0;
        for (double v : x) {
            z += Math.exp(v - max);
        }
        double logZ = max + Math.log(z);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] - logZ;
        }
        return out;
    }

    @Test
    void klMatchesADirectComputationAndIsZeroForTheSameWeights() {
        double sum = 0;
        long count = 0;
        for (long[] seq : sequences()) {
            double[][] p = logits(model, seq);
            double[][] q = logits(other, seq);
            for (int t = 0; t < seq.length; t++) {
                double[] lp = logSoftmax(p[t]);
                double[] lq = logSoftmax(q[t]);
                for (int v = 0; v < VOCAB; v++) {
                    sum += Math.exp(lp[v]) * (lp[v] - lq[v]);
                }
                count++;
            }
        }
        KlResult kl = NextTokenKl.ofSequences(model, other, sequences(), 3);
        assertEquals(27, kl.positions());
        assertEquals(count, kl.positions());
        assertEquals(sum / count, kl.meanKl(), 1e-4 * sum / count);
        assertTrue(kl.meanKl() > 1e-4, kl.toString()); // different random weights really differ
        assertTrue(kl.maxKl() >= kl.meanKl());
        // Batching changes nothing.
        assertEquals(kl.meanKl(), NextTokenKl.ofSequences(model, other, sequences(), 1).meanKl(), 1e-5 * kl.meanKl());
        // Same weights: 0 up to float rounding.
        assertEquals(0.0, NextTokenKl.ofSequences(model, same, sequences(), 4).meanKl(), 1e-6);
    }

    @Test
    void klRejectsDifferentVocabularies() {
        try (LlamaModel small = LlamaModel.create(LlamaConfig.builder().vocabSize(40).hiddenSize(32).intermediateSize(64)
                .layers(1).heads(4).kvHeads(2).maxPositions(64).build(), 1)) {
            var e = assertThrows(IllegalArgumentException.class, () -> NextTokenKl.ofSequences(model, small, sequences(), 2));
            assertTrue(e.getMessage().contains("50 and 40"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> NextTokenKl.ofSequences(model, other, List.of(new long[0]), 2));
    }

    @Test
    void meanPoolingAveragesTheHiddenStatesOfRealTokensOnly() {
        List<long[]> seqs = sequences();
        float[][] pooled = Embeddings.meanPooled(model, seqs, 4); // one padded batch
        int h = model.config().hiddenSize();
        for (int i = 0; i < seqs.size(); i++) {
            long[] seq = seqs.get(i);
            double[] expected = new double[h];
            try (NDManager sub = model.manager().newSubManager()) {
                float[] hidden = model.hidden(sub.create(seq).reshape(1, seq.length), null, null, null).toFloatArray();
                for (int t = 0; t < seq.length; t++) {
                    for (int d = 0; d < h; d++) {
                        expected[d] += hidden[t * h + d] / (double) seq.length;
                    }
                }
            }
            for (int d = 0; d < h; d++) {
                assertEquals(expected[d], pooled[i][d], 1e-4, "sequence " + i + " dim " + d);
            }
        }
        assertEquals(1.0, Embeddings.cosine(pooled[0], pooled[0]), 1e-9);
        assertTrue(Embeddings.cosine(pooled[0], pooled[1]) < 1 - 1e-6);
    }

    @Test
    void cosineClosedForms() {
        assertEquals(1 / Math.sqrt(2), Embeddings.cosine(new float[] {1, 0}, new float[] {1, 1}), 1e-12);
        assertEquals(-1.0, Embeddings.cosine(new float[] {1, 2, 3}, new float[] {-2, -4, -6}), 1e-12);
        assertEquals(0.0, Embeddings.cosine(new float[] {0, 0}, new float[] {1, 1}), 0);
        assertThrows(IllegalArgumentException.class, () -> Embeddings.cosine(new float[2], new float[3]));
    }
}
