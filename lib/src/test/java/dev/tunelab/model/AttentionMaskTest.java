package dev.tunelab.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

/**
 * The mask for one prefix key, two cached positions (the first of them padding) and two new
 * tokens, worked out by hand from the rule "key j visible to the query at index q when
 * q - window < j <= q and j is not padding" (keys: prefix 0, cached 1-2, new 3-4; queries at 3, 4).
 */
class AttentionMaskTest {
    static final long[][] PADDING = {{0, 1, 1, 1}}; // over cached + new positions

    @Test
    void causalPaddingAndWindowAsDerivedByHand() {
        try (NDManager m = NDManager.newBaseManager()) {
            // full attention: the prefix key and every earlier real key
            assertArrayEquals(new boolean[] {
                true, false, true, true, false,
                true, false, true, true, true}, visible(m, 0));
            // window 3: query 3 keeps keys 1..3 (1 is padding), query 4 keeps 2..4; the prefix falls out
            assertArrayEquals(new boolean[] {
                false, false, true, true, false,
                false, false, true, true, true}, visible(m, 3));
            // window 1: each query sees itself only
            assertArrayEquals(new boolean[] {
                false, false, false, true, false,
                false, false, false, false, true}, visible(m, 1));
        }
    }

    static boolean[] visible(NDManager m, int window) {
        float[] bias = AttentionMask.build(m, m.create(PADDING[0]).reshape(1, 4), 2, 2, 1, window, DataType.FLOAT32)
                .toFloatArray();
        boolean[] out = new boolean[bias.length];
        for (int i = 0; i < bias.length; i++) {
            out[i] = bias[i] == 0;
        }
        return out;
    }
}
