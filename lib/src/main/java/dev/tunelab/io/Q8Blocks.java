package dev.tunelab.io;

import java.nio.ByteBuffer;

/**
 * ggml's Q8_0 quantization: each block of 32 weights becomes one fp16 scale {@code d = absmax/127}
 * followed by 32 signed bytes {@code q = round(x / d)}; a weight reads back as {@code q * d}.
 *
 * <p>Block layout {@code block_q8_0 { ggml_half d; int8_t qs[32]; }} (34 bytes) from
 * ggml/src/ggml-common.h; the arithmetic follows {@code quantize_row_q8_0_ref} in
 * ggml/src/ggml-quants.c: the reciprocal is taken of the fp32 scale before it is rounded to fp16,
 * and {@code roundf} rounds halves away from zero.
 */
public final class Q8Blocks {
    /** Weights per block ({@code QK8_0}). */
    public static final int BLOCK = 32;
    /** Bytes per block: a 2-byte fp16 scale and 32 bytes. */
    public static final int BLOCK_BYTES = 2 + BLOCK;

    private Q8Blocks() {}

    /** Appends the blocks of {@code values} (a multiple of 32 of them) to {@code out}, little-endian. */
    public static void quantize(float[] values, ByteBuffer out) {
        if (values.length % BLOCK != 0) {
            throw new IllegalArgumentException("Q8_0 quantizes blocks of 32 values; got " + values.length);
        }
        for (int start = 0; start < values.length; start += BLOCK) {
            float absMax = 0;
            for (int j = 0; j < BLOCK; j++) {
                absMax = Math.max(absMax, Math.abs(values[start + j]));
            }
            float d = absMax / 127;
            float inverse = d != 0 ? 1.0f / d : 0.0f;
            out.putShort(HalfFloats.floatToHalf(d));
            for (int j = 0; j < BLOCK; j++) {
                out.put((byte) roundHalfAwayFromZero(values[start + j] * inverse));
            }
        }
    }

    /** The values blocks stand for: {@code q * d} with d widened from fp16. */
    public static float[] dequantize(ByteBuffer blocks, int count) {
        float[] out = new float[count];
        for (int start = 0; start < count; start += BLOCK) {
            float d = HalfFloats.halfToFloat(blocks.getShort());
            for (int j = 0; j < BLOCK; j++) {
                out[start + j] = blocks.get() * d;
            }
        }
        return out;
    }

    /** C's {@code roundf}: nearest integer, halfway cases away from zero (Java's Math.round goes up). */
    static int roundHalfAwayFromZero(float x) {
        // In double, |x| + 0.5 is exact for any float below 2^29 (in float, 0.49999997f + 0.5f rounds to 1).
        return (int) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }
}
