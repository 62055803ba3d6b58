package dev.tunelab.export;

import dev.tunelab.io.FloatRows;

/**
 * The rows of a Hugging Face Llama {@code q_proj} or {@code k_proj} weight, reordered within each
 * head for llama.cpp.
 *
 * <p>Why: transformers' rotary embedding rotates dimension {@code i} of a head together with
 * {@code i + headDim/2} ({@code rotate_half}); llama.cpp's llama architecture rotates adjacent
 * pairs {@code (2i, 2i+1)}. Moving row {@code i} of each head to {@code 2i} and row
 * {@code i + headDim/2} to {@code 2i+1}, in both Q and K, makes llama.cpp compute the same attention
 * scores (a dot product does not change when both vectors are permuted alike). This is
 * {@code LlamaModel.permute} of llama.cpp's convert_hf_to_gguf.py, with K permuted by its own
 * (key-value) head count.
 */
final class RopeRowOrder implements FloatRows {
    private final FloatRows base;
    private final int headDim;

    /** @param heads the heads the rows belong to: attention heads for Q, key-value heads for K */
    RopeRowOrder(FloatRows base, int heads) {
        if (base.rows() % heads != 0 || (base.rows() / heads) % 2 != 0) {
            throw new IllegalArgumentException(base.rows() + " rows do not split into " + heads + " heads of even size");
        }
        this.base = base;
        this.headDim = (int) (base.rows() / heads);
    }

    @Override
    public long rows() {
        return base.rows();
    }

    @Override
    public long columns() {
        return base.columns();
    }

    /** Whole heads only, so that each piece can be reordered by itself. */
    @Override
    public int rowGroup() {
        return headDim;
    }

    @Override
    public float[] read(long first, int count) {
        if (first % headDim != 0 || count % headDim != 0) {
            throw new IllegalArgumentException("rows " + first + "+" + count + " do not cover whole heads of " + headDim);
        }
        float[] in = base.read(first, count);
        float[] out = new float[in.length];
        int columns = (int) base.columns();
        int half = headDim / 2;
        for (int head = 0; head < count; head += headDim) {
            for (int i = 0; i < half; i++) {
                // (head row i, head row i + half) -> (2i, 2i + 1)
                System.arraycopy(in, (head + i) * columns, out, (head + 2 * i) * columns, columns);
                System.arraycopy(in, (head + half + i) * columns, out, (head + 2 * i + 1) * columns, columns);
            }
        }
        return out;
    }
}
