package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.TinyModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Sample packing: several examples per row, each seeing only itself, with the loss of the padded batch. */
class PackingTest {
    /** Examples of 3 to 11 tokens whose first half is an unlabelled prompt. */
    static List<SftSequence> examples(int n, long seed) {
        Random random = new Random(seed);
        List<SftSequence> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int length = 3 + random.nextInt(9);
            long[] ids = new long[length];
            long[] labels = new long[length];
            for (int t = 0; t < length; t++) {
                ids[t] = random.nextInt(32);
                labels[t] = t < length / 2 ? Losses.IGNORE_INDEX : ids[t];
            }
            out.add(new SftSequence(ids, labels, false, false));
        }
        return out;
    }

    @Test
    void bestFitDecreasingAsWorkedOutByHand() {
        int[] lengths = {4, 9, 2, 7, 3, 5};
        List<SftSequence> s = new ArrayList<>();
        for (int n : lengths) {
            s.add(new SftSequence(new long[n], new long[n], false, false));
        }
        // 9 -> row 0 (room 1); 7 -> row 1 (room 3); 5 -> row 2 (room 5); 4 -> row 2, the least room that fits (1 left);
        // 3 -> row 1 (0 left); 2 fits nowhere -> row 3
        List<int[]> rows = PackedBatches.bestFitDecreasing(s, 10);
        assertEquals(4, rows.size());
        assertArrayEquals(new int[] {1}, rows.get(0));
        assertArrayEquals(new int[] {3, 4}, rows.get(1));
        assertArrayEquals(new int[] {5, 0}, rows.get(2));
        assertArrayEquals(new int[] {2}, rows.get(3));
    }

    @Test
    void packedLossEqualsThePaddedBatchLoss() {
        List<SftSequence> docs = examples(12, 1);
        PackedBatches packed = PackedBatches.of(docs, 24, 1, 0, 5);
        int rows = packed.rows().size();
        assertTrue(rows < docs.size() / 2, "several examples a row: " + packed);
        packed = PackedBatches.of(docs, 24, rows, 0, 5); // one batch holds every row once
        Batch p = packed.batch(0);
        assertTrue(p.packed());
        Batch padded = Batch.rightPadded(docs.stream().map(SftSequence::ids).toList(),
                docs.stream().map(SftSequence::labels).toList(), 0);
        assertEquals(padded.lossTokens(), p.lossTokens(), "the same tokens carry the loss");
        assertTrue(p.size() * p.length() < padded.size() * padded.length(), "fewer positions to compute");
        try (LlamaModel model = TinyModels.model(3)) {
            double[] losses = Autograd.noGrad(() -> {
                try (NDManager m = model.manager().newSubManager()) {
                    return new double[] {
                        Losses.causalLm(padded.logits(model, m), padded.labels(m)).getFloat(),
                        Losses.causalLm(p.logits(model, m), p.labels(m)).getFloat()};
                }
            });
            assertEquals(losses[0], losses[1], 1e-5, Arrays.toString(losses));
        }
    }

    @Test
    void eachPackedDocumentGetsTheLogitsItGetsAlone() {
        List<SftSequence> docs = examples(3, 2);
        PackedBatches packed = PackedBatches.of(docs, 40, 1, 0, 0);
        assertEquals(1, packed.rows().size());
        Batch b = packed.batch(0);
        try (LlamaModel model = TinyModels.model(4); NDManager m = model.manager().newSubManager()) {
            float[] all = Autograd.noGrad(() -> b.logits(model, m).toFloatArray()); // (1, T, 32)
            int at = 0;
            for (int d : packed.rows().get(0)) {
                long[] ids = docs.get(d).ids();
                float[] alone = Autograd.noGrad(() -> model.forward(m.create(new long[][] {ids})).toFloatArray());
                float[] slice = Arrays.copyOfRange(all, at * 32, (at + ids.length) * 32);
                assertEquals(0, TinyModelsDiff.max(alone, slice), 1e-5, "document " + d);
                at += ids.length;
            }
        }
    }

    @Test
    void trainingOnPackedBatchesRunsAndRecordsItsFingerprint() {
        try (LlamaModel model = TinyModels.model(5)) {
            PackedBatches packed = PackedBatches.of(examples(20, 3), 32, 2, 0, 1);
            TrainResult r = Trainer.fit(model, packed, packed, new TrainConfig().steps(2).learningRate(1e-2).runsDir(null)
                    .progress(false).evalBatches(1));
            assertTrue(Double.isFinite(r.metrics().get("loss")));
            assertTrue(Double.isFinite(r.evalMetrics().get("loss")), "held-out loss on packed rows too");
            assertTrue(Arrays.deepEquals(packed.batch(7).inputIds(), PackedBatches.of(examples(20, 3), 32, 2, 0, 1).batch(7).inputIds()),
                    "batch i is a function of i");
        }
    }

    /** Largest absolute difference. */
    static final class TinyModelsDiff {
        static double max(float[] a, float[] b) {
            double worst = 0;
            for (int i = 0; i < a.length; i++) {
                worst = Math.max(worst, Math.abs(a[i] - b[i]));
            }
            return worst;
        }
    }
}
