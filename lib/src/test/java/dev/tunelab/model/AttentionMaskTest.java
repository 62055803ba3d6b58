package dev.tunelab.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

    @Test
    void packedRowsSeeOnlyTheirOwnDocumentAndRestartPositions() {
        // documents 0 (2 tokens) and 1 (3 tokens), then one padding token
        long[][] docs = {{0, 0, 1, 1, 1, -1}};
        assertArrayEquals(new long[] {0, 1, 0, 1, 2, 0}, AttentionMask.packedPositions(docs)[0]);
        try (NDManager m = NDManager.newBaseManager()) {
            float[] bias = AttentionMask.packed(m, docs, 0, DataType.FLOAT32).toFloatArray();
            boolean[] expected = {
                true, false, false, false, false, false,
                true, true, false, false, false, false,
                false, false, true, false, false, false, // document 1 starts: nothing of document 0
                false, false, true, true, false, false,
                false, false, true, true, true, false,
                false, false, false, false, false, true}; // padding sees itself only
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], bias[i] == 0, "query " + i / 6 + ", key " + i % 6);
            }
            // window 2: the third token of document 1 loses its first
            float[] windowed = AttentionMask.packed(m, docs, 2, DataType.FLOAT32).toFloatArray();
            assertEquals(false, windowed[4 * 6 + 2] == 0);
            assertEquals(true, windowed[4 * 6 + 3] == 0);
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
