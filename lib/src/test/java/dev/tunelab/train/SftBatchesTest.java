package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SftBatchesTest {
    /** Sequence k is [k, k, ..., k] of length 2 + k % 3, all trained, so rows are recognisable. */
    static List<SftSequence> sequences(int n) {
        List<SftSequence> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            long[] ids = new long[2 + k % 3];
            Arrays.fill(ids, 100 + k);
            out.add(new SftSequence(ids, ids.clone(), false, false));
        }
        return out;
    }

    static SftBatches source(long seed) {
        return new SftBatches(sequences(10), 0, 4, seed, true, 0, "test");
    }

    @Test
    void batchIsAPureFunctionOfItsIndex() {
        SftBatches a = source(7);
        Batch first = a.batch(5);
        for (long i = 0; i < 20; i++) {
            a.batch(i); // other batches in between must not change batch 5
        }
        SftBatches fresh = source(7);
        for (Batch again : List.of(a.batch(5), fresh.batch(5))) {
            assertArrayEquals(first.inputIds(), again.inputIds());
            assertArrayEquals(first.labels(), again.labels());
            assertArrayEquals(first.attentionMask(), again.attentionMask());
        }
        assertEquals(a.fingerprint(), fresh.fingerprint());
        assertNotEquals(a.fingerprint(), source(8).fingerprint());
    }

    @Test
    void everyEpochVisitsEveryExampleOnceInANewOrder() {
        SftBatches s = source(3);
        // 10 examples, batch 4: stream positions 0..39 are epochs 0..3.
        List<int[]> epochs = new ArrayList<>();
        int[] stream = new int[40];
        for (int i = 0; i < 10; i++) {
            System.arraycopy(s.exampleIndices(i), 0, stream, 4 * i, 4);
        }
        for (int e = 0; e < 4; e++) {
            int[] epoch = Arrays.copyOfRange(stream, 10 * e, 10 * e + 10);
            int[] sorted = epoch.clone();
            Arrays.sort(sorted);
            assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, sorted, "epoch " + e + " is a permutation");
            epochs.add(epoch);
        }
        assertFalse(Arrays.equals(epochs.get(0), epochs.get(1)), "epochs are reshuffled");
        // Rows hold the sequences the indices name.
        Batch b = s.batch(2);
        int[] rows = s.exampleIndices(2);
        for (int r = 0; r < 4; r++) {
            assertEquals(100 + rows[r], b.inputIds()[r][0]);
        }
        // Without shuffling the order is the original one, wrapping around.
        SftBatches plain = new SftBatches(sequences(10), 0, 4, 3, false, 0, "test");
        assertArrayEquals(new int[] {8, 9, 0, 1}, plain.exampleIndices(2));
        assertEquals(3, plain.batchesPerEpoch());
    }
}
