package dev.tunelab.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tunelab.model.KVCache;
import dev.tunelab.model.LlamaModel;
import java.util.Arrays;

/**
 * Next-token logits from the model's own DJL forward pass: runs on any device and dtype, with
 * adapters as they are. Every row is fed every step (finished rows get padding, masked out);
 * with the KV cache the first step reads the prompts and every later step only the newest token.
 */
final class DjlLogits implements NextTokenLogits {
    private final LlamaModel model;
    private final NDManager session;
    private final KVCache cache; // null without cache

    DjlLogits(LlamaModel model, int batch, int total, boolean useCache) {
        this.model = model;
        this.session = model.manager().newSubManager();
        this.cache = useCache ? new KVCache(session, model.config(), batch, total + model.virtualTokens(), model.dtype()) : null;
    }

    @Override
    public float[][] next(long[][] ids, long[][] mask, int length, boolean[] finished) {
        int batch = ids.length;
        try (NDManager m = session.newSubManager()) {
            // With a cache only the tokens it has not seen yet are fed (it also holds prompt tuning's virtual tokens).
            int from = cache == null ? 0 : Math.max(0, cache.length() - model.virtualTokens());
            NDArray input = m.create(slice(ids, from, length)).reshape(batch, length - from);
            NDArray attention = m.create(slice(mask, 0, length)).reshape(batch, length);
            NDArray positions = positions(m, mask, from, length);
            NDArray all = model.forward(input, attention, positions, cache);
            NDArray last = all.get(":, -1, :").toType(DataType.FLOAT32, false);
            return toRows(last.toFloatArray(), batch);
        }
    }

    @Override
    public void close() {
        if (cache != null) {
            cache.close();
        }
        session.close();
    }

    /** Position of each token = number of real tokens before it in its row (left padding shifts nothing). */
    private static NDArray positions(NDManager m, long[][] mask, int from, int to) {
        int batch = mask.length;
        long[] pos = new long[batch * (to - from)];
        for (int b = 0; b < batch; b++) {
            long seen = 0;
            for (int t = 0; t < to; t++) {
                if (t >= from) {
                    pos[b * (to - from) + t - from] = mask[b][t] == 1 ? seen : 0;
                }
                seen += mask[b][t];
            }
        }
        return m.create(pos, new Shape(batch, to - from));
    }

    private static long[] slice(long[][] rows, int from, int to) {
        long[] flat = new long[rows.length * (to - from)];
        for (int b = 0; b < rows.length; b++) {
            System.arraycopy(rows[b], from, flat, b * (to - from), to - from);
        }
        return flat;
    }

    private static float[][] toRows(float[] flat, int batch) {
        int v = flat.length / batch;
        float[][] rows = new float[batch][];
        for (int b = 0; b < batch; b++) {
            rows[b] = Arrays.copyOfRange(flat, b * v, (b + 1) * v);
        }
        return rows;
    }
}
