package dev.tunelab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The additive attention mask of one forward call: 0 where a query may attend a key, a large
 * negative number where it may not.
 *
 * <p>Keys are indexed as the KV cache holds them: prefix tuning's P keys first, then the
 * {@code past} cached positions, then this call's T tokens, so query i sits at index
 * P + past + i. A key j is hidden when it comes later (j > that index), when it is padding, or, in
 * a sliding-window layer of width w, when j <= index - w: transformers' masking_utils.py
 * ({@code causal_mask_function} and {@code sliding_window_overlay}: kv_idx > q_idx - w) counts
 * these indices, padding included, as here. Padding sits at one end of a row (left in
 * generation, right in training), so between real tokens index distance equals position distance.
 */
final class AttentionMask {
    private AttentionMask() {}

    /**
     * (B or 1, 1, T, P + past + T).
     *
     * @param attentionMask (B, past + T) 1 for real tokens, 0 for padding; null = all real
     * @param window 0: every earlier key; w > 0: only the w most recent (the query's own included)
     */
    static NDArray build(NDManager m, NDArray attentionMask, int t, int past, int prefix, int window, DataType dtype) {
        int s = prefix + past + t;
        // fp16 cannot hold -1e9; two masks adding up must stay finite.
        float blocked = dtype == DataType.FLOAT16 ? -30000f : -1e9f;
        float[] causal = new float[t * s];
        for (int i = 0; i < t; i++) {
            int query = prefix + past + i;
            for (int j = 0; j < s; j++) {
                boolean later = j > query;
                boolean outsideWindow = window > 0 && j <= query - window;
                if (later || outsideWindow) {
                    causal[i * s + j] = blocked;
                }
            }
        }
        NDArray bias = m.create(causal, new Shape(1, 1, t, s)).toType(dtype, false);
        if (attentionMask != null) {
            long b = attentionMask.getShape().get(0);
            NDArray padding = attentionMask.toType(dtype, false).neg().add(1).mul(blocked).reshape(b, 1, 1, s - prefix);
            if (prefix > 0) { // prefix keys are never padding
                padding = m.zeros(new Shape(b, 1, 1, prefix), dtype).concat(padding, 3);
            }
            bias = bias.add(padding);
        }
        return bias;
    }

    /**
     * The mask of packed rows (B, 1, T, T): several documents one after another in each row, a
     * query seeing only earlier keys of its own document (transformers' masking_utils
     * packed_sequence_mask, which flash attention expresses with cu_seqlens). Padding (document
     * id -1) sees only itself and is seen by nothing, so no row is all blocked.
     *
     * @param documentIds (B, T) the document of each token: 0, 1, ... within a row, -1 for padding
     * @param window 0: every earlier key of the document; w > 0: only the w most recent
     */
    static NDArray packed(NDManager m, long[][] documentIds, int window, DataType dtype) {
        int b = documentIds.length;
        int t = documentIds[0].length;
        float blocked = dtype == DataType.FLOAT16 ? -30000f : -1e9f;
        float[] bias = new float[b * t * t];
        for (int r = 0; r < b; r++) {
            long[] doc = documentIds[r];
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < t; j++) {
                    boolean visible = j == i || (j < i && doc[i] >= 0 && doc[j] == doc[i] && (window == 0 || j > i - window));
                    bias[(r * t + i) * t + j] = visible ? 0f : blocked;
                }
            }
        }
        return m.create(bias, new Shape(b, 1, t, t)).toType(dtype, false);
    }

    /** Positions restarting at 0 with every document (padding at 0), as DataCollatorWithFlattening writes them: (B, T). */
    static long[][] packedPositions(long[][] documentIds) {
        long[][] out = new long[documentIds.length][];
        for (int r = 0; r < documentIds.length; r++) {
            long[] doc = documentIds[r];
            out[r] = new long[doc.length];
            for (int i = 1; i < doc.length; i++) {
                out[r][i] = doc[i] >= 0 && doc[i] == doc[i - 1] ? out[r][i - 1] + 1 : 0;
            }
        }
        return out;
    }
}
