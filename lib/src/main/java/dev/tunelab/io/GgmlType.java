package dev.tunelab.io;

import java.nio.ByteBuffer;

/**
 * The tensor element types {@link GgufWriter} stores, with ggml's type ids (enum {@code ggml_type}
 * in ggml/include/ggml.h, {@code GGMLQuantizationType} in gguf-py/gguf/constants.py).
 *
 * <p>A row of a tensor is stored as whole blocks: one element per block for the float types, 32
 * elements per block for {@link #Q8_0} (so a Q8_0 row length must be a multiple of 32).
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    /** 32 weights as one fp16 scale and 32 signed bytes ({@link Q8Blocks}). */
    Q8_0(8, Q8Blocks.BLOCK, Q8Blocks.BLOCK_BYTES),
    BF16(30, 1, 2);

    /** ggml's id, written in each tensor's info. */
    public final int id;
    /** Elements per block. */
    public final int blockSize;
    /** Bytes per block. */
    public final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Bytes of {@code elements} values ({@code elements} a multiple of the block size). */
    public long bytes(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " stores blocks of " + blockSize + " elements; " + elements + " is not a multiple");
        }
        return elements / blockSize * blockBytes;
    }

    /** Appends {@code values} encoded as this type, little-endian, to {@code out}. */
    void encode(float[] values, ByteBuffer out) {
        switch (this) {
            case F32 -> {
                for (float v : values) {
                    out.putFloat(v);
                }
            }
            case F16 -> {
                for (float v : values) {
                    out.putShort(HalfFloats.floatToHalf(v));
                }
            }
            case BF16 -> {
                for (float v : values) {
                    out.putShort(HalfFloats.floatToBf16(v));
                }
            }
            case Q8_0 -> Q8Blocks.quantize(values, out);
        }
    }
}
