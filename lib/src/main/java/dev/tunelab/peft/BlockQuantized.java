package dev.tunelab.peft;

/**
 * A tensor quantized block-wise (Dettmers et al. 2022, 2023), held in Java arrays: codes packed
 * two per byte for 4-bit formats (the first value in the high nibble, as bitsandbytes packs them),
 * one fp32 absmax per block, or with double quantization the absmax constants themselves
 * quantized: their mean is subtracted and the rest stored as 8-bit {@link DynamicMap} codes with
 * one fp32 absmax per {@value #DQ_BLOCK} of them.
 *
 * @param absmax fp32 absmax per block; null when double-quantized
 * @param absmaxCodes 8-bit codes of (absmax - absmaxOffset); null without double quantization
 * @param absmax2 fp32 absmax of each block of {@value #DQ_BLOCK} absmax codes
 */
public record BlockQuantized(
        QuantFormat format,
        int blockSize,
        long size,
        byte[] codes,
        float[] absmax,
        byte[] absmaxCodes,
        float[] absmax2,
        float absmaxOffset) {

    /** QLoRA's block for the weights. */
    public static final int BLOCK = 64;
    /** QLoRA's block for the second quantization of the absmax constants. */
    public static final int DQ_BLOCK = 256;

    public boolean doubleQuantized() {
        return absmaxCodes != null;
    }

    public int blocks() {
        return (int) ((size + blockSize - 1) / blockSize);
    }

    /** Quantizes {@code x}; blocks of {@code blockSize} consecutive values share one absmax. */
    public static BlockQuantized quantize(float[] x, QuantFormat format, int blockSize, boolean doubleQuant) {
        return quantize(java.nio.FloatBuffer.wrap(x), format, blockSize, doubleQuant);
    }

    /**
     * As {@link #quantize(float[], QuantFormat, int, boolean)} on the buffer's values 0 .. limit - 1
     * (read by index), e.g. a view of an array's native memory, so no Java copy of a weight is made.
     */
    public static BlockQuantized quantize(java.nio.FloatBuffer x, QuantFormat format, int blockSize, boolean doubleQuant) {
        byte[] codes = new byte[codeBytes(x.limit(), format, blockSize)];
        float[] absmax = encode(x, format, blockSize, java.nio.ByteBuffer.wrap(codes));
        return withAbsmax(format, blockSize, x.limit(), codes, absmax, doubleQuant);
    }

    /** Bytes of the packed codes of {@code size} values: padded to whole blocks so that dequantization can reshape to (blocks, blockSize). */
    static int codeBytes(long size, QuantFormat format, int blockSize) {
        long bits = (size + blockSize - 1) / blockSize * blockSize * format.bits();
        if (bits % 8 != 0) {
            throw new IllegalArgumentException(size + " values in blocks of " + blockSize + " do not fill whole bytes of "
                    + format.bits() + "-bit codes");
        }
        return Math.toIntExact(bits / 8);
    }

    /**
     * Writes the packed codes of {@code x} (every byte of {@link #codeBytes}, first value in the high
     * nibble) into {@code codes} and returns the absmax of each block. Blocks are independent (a
     * block is a whole number of bytes: blocks of an even size for 4-bit codes), so runs of them are
     * encoded on all cores; the result does not depend on how they are split.
     */
    static float[] encode(java.nio.FloatBuffer x, QuantFormat format, int blockSize, java.nio.ByteBuffer codes) {
        int length = x.limit();
        int blocks = (length + blockSize - 1) / blockSize;
        if (format.bits() == 4 && blockSize % 2 != 0) {
            throw new IllegalArgumentException("4-bit codes need an even block size, got " + blockSize);
        }
        float[] absmax = new float[blocks];
        int runs = Math.min(blocks, 4 * Runtime.getRuntime().availableProcessors());
        java.util.stream.IntStream.range(0, runs).parallel().forEach(run ->
                encodeBlocks(x, format, blockSize, codes, absmax, (int) ((long) blocks * run / runs), (int) ((long) blocks * (run + 1) / runs)));
        return absmax;
    }

    /** Encodes blocks {@code first} .. {@code end - 1}: absolute reads and writes only, so runs can go in parallel. */
    private static void encodeBlocks(java.nio.FloatBuffer x, QuantFormat format, int blockSize, java.nio.ByteBuffer codes,
            float[] absmax, int first, int end) {
        int length = x.limit();
        int perByte = 8 / format.bits();
        int high = 0; // a 4-bit format's code waiting for its partner in the low nibble
        for (int b = first; b < end; b++) {
            int from = b * blockSize;
            int to = Math.min(length, from + blockSize);
            float max = 0;
            for (int i = from; i < to; i++) {
                max = Math.max(max, Math.abs(x.get(i)));
            }
            absmax[b] = max;
            for (int i = from; i < from + blockSize; i++) {
                float normalized = i < to && max > 0 ? x.get(i) / max : 0f;
                int code = format.nearest(normalized);
                if (perByte == 1) {
                    codes.put(i, (byte) code);
                } else if (i % 2 == 0) {
                    high = code;
                } else {
                    codes.put(i / 2, (byte) (high << 4 | code));
                }
            }
        }
    }

    /**
     * The quantized tensor of {@code size} values from its codes and the absmax of each block, the
     * absmax double-quantized when asked. {@code codes} is null only where the codes are kept
     * elsewhere (QuantizedLinear writes them straight into native memory).
     */
    static BlockQuantized withAbsmax(QuantFormat format, int blockSize, long size, byte[] codes, float[] absmax,
            boolean doubleQuant) {
        int blocks = absmax.length;
        if (!doubleQuant) {
            return new BlockQuantized(format, blockSize, size, codes, absmax, null, null, 0f);
        }
        double sum = 0;
        for (float a : absmax) {
            sum += a;
        }
        float offset = (float) (sum / blocks);
        float[] centered = new float[blocks];
        for (int i = 0; i < blocks; i++) {
            centered[i] = absmax[i] - offset;
        }
        int blocks2 = (blocks + DQ_BLOCK - 1) / DQ_BLOCK;
        float[] absmax2 = new float[blocks2];
        byte[] absmaxCodes = new byte[blocks2 * DQ_BLOCK];
        for (int b = 0; b < blocks2; b++) {
            int from = b * DQ_BLOCK;
            int to = Math.min(blocks, from + DQ_BLOCK);
            float max = 0;
            for (int i = from; i < to; i++) {
                max = Math.max(max, Math.abs(centered[i]));
            }
            absmax2[b] = max;
            for (int i = from; i < from + DQ_BLOCK; i++) {
                float normalized = i < to && max > 0 ? centered[i] / max : 0f;
                absmaxCodes[i] = (byte) QuantFormat.nearest(DynamicMap.SIGNED, normalized);
            }
        }
        return new BlockQuantized(format, blockSize, size, codes, null, absmaxCodes, absmax2, offset);
    }

    /** The absmax of every block, decoded from the second quantization when there is one. */
    public float[] blockAbsmax() {
        if (!doubleQuantized()) {
            return absmax.clone();
        }
        float[] out = new float[blocks()];
        for (int i = 0; i < out.length; i++) {
            out[i] = DynamicMap.SIGNED[absmaxCodes[i] & 0xff] * absmax2[i / DQ_BLOCK] + absmaxOffset;
        }
        return out;
    }

    /** The code (index into the format's code book) of element {@code i}. */
    public int code(long i) {
        if (format.bits() == 4) {
            int packed = codes[(int) (i / 2)] & 0xff;
            return i % 2 == 0 ? packed >>> 4 : packed & 0x0f;
        }
        return codes[(int) i] & 0xff;
    }

    public float[] dequantize() {
        float[] scale = blockAbsmax();
        float[] out = new float[(int) size];
        for (int i = 0; i < out.length; i++) {
            out[i] = format.value(code(i)) * scale[i / blockSize];
        }
        return out;
    }

    /**
     * Bytes this representation needs as bitsandbytes stores it: packed codes, then fp32 absmax
     * per block, or 8-bit absmax codes plus fp32 per {@value #DQ_BLOCK} blocks plus the fp32 offset.
     */
    public long storageBytes() {
        return storageBytes(size, format, blockSize, doubleQuantized());
    }

    public static long storageBytes(long size, QuantFormat format, int blockSize, boolean doubleQuant) {
        long codeBytes = (size * format.bits() + 7) / 8;
        long blocks = (size + blockSize - 1) / blockSize;
        if (!doubleQuant) {
            return codeBytes + 4 * blocks;
        }
        long blocks2 = (blocks + DQ_BLOCK - 1) / DQ_BLOCK;
        return codeBytes + blocks + 4 * blocks2 + 4;
    }

    @Override
    public String toString() {
        return "BlockQuantized(" + format + ", " + size + " values, block " + blockSize
                + (doubleQuantized() ? ", double-quantized" : "") + ", " + storageBytes() + " bytes)";
    }
}
