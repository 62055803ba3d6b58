package dev.tunelab.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.List;

/** Right-padded token batches for scoring passes (no generation): ids padded with 0 and a 0/1 mask. */
record Batches(long[][] ids, long[][] mask) {

    static Batches rightPadded(List<long[]> sequences) {
        int length = sequences.stream().mapToInt(s -> s.length).max().orElse(0);
        long[][] ids = new long[sequences.size()][length];
        long[][] mask = new long[sequences.size()][length];
        for (int b = 0; b < sequences.size(); b++) {
            long[] s = sequences.get(b);
            System.arraycopy(s, 0, ids[b], 0, s.length);
            Arrays.fill(mask[b], 0, s.length, 1L);
        }
        return new Batches(ids, mask);
    }

    NDArray ids(NDManager m) {
        return m.create(ids);
    }

    NDArray mask(NDManager m) {
        return m.create(mask);
    }

    static void requireTokens(List<long[]> sequences) {
        for (int i = 0; i < sequences.size(); i++) {
            if (sequences.get(i) == null || sequences.get(i).length == 0) {
                throw new IllegalArgumentException("sequence " + i + " has no tokens");
            }
        }
    }
}
