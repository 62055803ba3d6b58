package dev.tunelab.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GGUF container: header, typed metadata, tensor infos, alignment, and the four element encodings. */
class GgufWriterTest {
    @TempDir Path dir;

    /** Rows handed out from a plain array. */
    static FloatRows rows(int rows, int columns, float[] values) {
        return new FloatRows() {
            @Override public long rows() { return rows; }
            @Override public long columns() { return columns; }
            @Override public float[] read(long first, int count) {
                float[] out = new float[count * columns];
                System.arraycopy(values, (int) first * columns, out, 0, out.length);
                return out;
            }
        };
    }

    static float[] q8Fixture() {
        float[] v = new float[2 * 64];
        // row 0, block 0: absmax 127, so d = 1 and q = roundf(x), halves away from zero
        float[] b0 = {127, 2.5f, -2.5f, 0.5f, -0.5f, 1.4999999f, -126.5f};
        System.arraycopy(b0, 0, v, 0, b0.length);
        // row 0, block 1: all zero -> d = 0, q = 0
        // row 1, block 0: absmax 254, d = 2, x/d = 127, 2.5, -1.5, 0.45
        float[] b2 = {254, 5, -3, 0.9f};
        System.arraycopy(b2, 0, v, 64, b2.length);
        // row 1, block 1: k/10, absmax 3.1
        for (int k = 0; k < 32; k++) {
            v[96 + k] = k / 10f;
        }
        return v;
    }

    GgufWriter sample() {
        return new GgufWriter()
                .putString("general.architecture", "llama")
                .putU32("llama.block_count", 4_000_000_000L)
                .putF32("llama.rope.freq_base", 500000.0)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .putStrings("tokenizer.ggml.tokens", List.of("a", "Ġb", "<|é|>"))
                .putI32s("tokenizer.ggml.token_type", new int[] {1, -1, 3})
                .addTensor("norm", GgmlType.F32, new long[] {3}, rows(1, 3, new float[] {1, -2, 0.25f}))
                .addTensor("q8", GgmlType.Q8_0, new long[] {2, 64}, rows(2, 64, q8Fixture()))
                .addTensor("h", GgmlType.F16, new long[] {3, 32}, rows(3, 32, ramp(96)))
                .addTensor("b", GgmlType.BF16, new long[] {1, 32}, rows(1, 32, ramp(32)));
    }

    static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i - 7) * 0.5f;
        }
        return v;
    }

    @Test
    void headerMetadataAndTensorInfosReadBackWithTheirTypes() throws IOException {
        Path p = dir.resolve("m.gguf");
        sample().write(p);
        GgufTestReader r = new GgufTestReader(p);
        assertEquals(3, r.version);
        assertEquals(List.of("general.architecture", "llama.block_count", "llama.rope.freq_base",
                "tokenizer.ggml.add_bos_token", "tokenizer.ggml.tokens", "tokenizer.ggml.token_type"), List.copyOf(r.metadata.keySet()));
        assertEquals(List.of(8, 4, 6, 7, 9, 9), List.copyOf(r.metadataTypes.values())); // string, u32, f32, bool, array, array
        assertEquals("llama", r.metadata.get("general.architecture"));
        assertEquals(4_000_000_000L, r.metadata.get("llama.block_count"));
        assertEquals(500000f, r.metadata.get("llama.rope.freq_base"));
        assertEquals(true, r.metadata.get("tokenizer.ggml.add_bos_token"));
        assertEquals(List.of("a", "Ġb", "<|é|>"), r.metadata.get("tokenizer.ggml.tokens"));
        assertEquals(List.of(1, -1, 3), r.metadata.get("tokenizer.ggml.token_type"));

        // Dimensions innermost first; each tensor at a multiple of 32 after the padded header:
        // 12 bytes -> 32; 2 rows x 2 blocks x 34 = 136 -> 160; 3 x 32 x 2 = 192; 32 x 2 = 64.
        assertEquals(4, r.tensors.size());
        assertArrayEquals(new long[] {3}, r.tensor("norm").ggmlDims());
        assertArrayEquals(new long[] {64, 2}, r.tensor("q8").ggmlDims());
        assertArrayEquals(new long[] {32, 3}, r.tensor("h").ggmlDims());
        assertEquals(List.of(0, 8, 1, 30), r.tensors.stream().map(GgufTestReader.TensorInfo::type).toList());
        assertEquals(List.of(0L, 32L, 192L, 384L), r.tensors.stream().map(GgufTestReader.TensorInfo::offset).toList());
        assertEquals(0, r.dataStart % 32);
        assertEquals(r.dataStart + 448, r.fileLength());
    }

    @Test
    void elementEncodingsMatchHandComputedBytes() throws IOException {
        Path p = dir.resolve("m.gguf");
        sample().write(p);
        GgufTestReader r = new GgufTestReader(p);
        ByteBuffer norm = r.data(r.tensor("norm"), 12);
        assertEquals(1f, norm.getFloat(0));
        assertEquals(-2f, norm.getFloat(4));
        assertEquals(0.25f, norm.getFloat(8));

        ByteBuffer h = r.data(r.tensor("h"), 192);
        assertEquals((short) 0xc300, h.getShort(0)); // -3.5
        assertEquals((short) 0x0000, h.getShort(14)); // 0
        assertEquals((short) 0x3800, h.getShort(16)); // 0.5
        assertEquals((short) 0x5180, h.getShort(2 * 95)); // 44 = 1.375 * 2^5
        ByteBuffer b = r.data(r.tensor("b"), 64);
        assertEquals((short) 0xc060, b.getShort(0)); // -3.5 in bf16
        assertEquals((short) 0x4140, b.getShort(2 * 31)); // 12 = 1.5 * 2^3

        ByteBuffer q = r.data(r.tensor("q8"), 136);
        // block 0: d = 1.0 (fp16 0x3c00); roundf sends halves away from zero
        assertEquals((short) 0x3c00, q.getShort(0));
        byte[] q0 = new byte[32];
        q.get(2, q0);
        assertArrayEquals(new byte[] {127, 3, -3, 1, -1, 1, -127, 0}, java.util.Arrays.copyOf(q0, 8));
        // block 1: zeros
        assertEquals((short) 0, q.getShort(34));
        for (int j = 0; j < 32; j++) {
            assertEquals(0, q.get(36 + j));
        }
        // block 2: d = 2.0 (0x4000); 5/2 = 2.5 -> 3, -3/2 = -1.5 -> -2, 0.9/2 = 0.45 -> 0
        assertEquals((short) 0x4000, q.getShort(68));
        assertArrayEquals(new byte[] {127, 3, -2, 0}, new byte[] {q.get(70), q.get(71), q.get(72), q.get(73)});
        // block 3: d = 3.1/127 stored in fp16; q = nearest integer to x * 127/3.1
        float d = 3.1f / 127;
        assertEquals(HalfFloats.floatToHalf(d), q.getShort(102));
        for (int k = 0; k < 32; k++) {
            long expected = Math.round(k / 10.0 * 127 / 3.1);
            assertEquals(expected, q.get(104 + k), "block 3 #" + k);
        }
        // and they read back as q * d within half a step
        float[] back = Q8Blocks.dequantize(r.data(r.tensor("q8"), 136), 128);
        float[] v = q8Fixture();
        for (int i = 64 + 32; i < 128; i++) {
            assertTrue(Math.abs(back[i] - v[i]) <= 0.5 * 3.1 / 127 + 1e-3, "#" + i);
        }
    }

    @Test
    void writingInSmallPiecesGivesTheSameFile() throws IOException {
        Path whole = dir.resolve("whole.gguf");
        sample().write(whole);
        int saved = GgufWriter.chunkElements;
        try {
            GgufWriter.chunkElements = 40; // one row at a time for every tensor here
            Path pieces = dir.resolve("pieces.gguf");
            sample().write(pieces);
            assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(pieces));
        } finally {
            GgufWriter.chunkElements = saved;
        }
    }

    @Test
    void aModelWrittenInPiecesOfAFewRowsIsTheSameFile() throws IOException {
        // 1000 elements per piece: 5 rows of 192, or one head (32 rows) of Q and K at a time, so that
        // every tensor of the shipped model, reordered or quantized, is written in several pieces.
        Path model = Path.of("..", "datasets", "models", "tinystories-base");
        try (dev.tunelab.LanguageModel lm = dev.tunelab.Models.load(model)) {
            for (dev.tunelab.export.GgufOptions o : List.of(dev.tunelab.export.GgufOptions.f16(), dev.tunelab.export.GgufOptions.q8_0())) {
                Path whole = dir.resolve("whole.gguf");
                Path pieces = dir.resolve("pieces.gguf");
                lm.saveGguf(whole, o.name("m"));
                int saved = GgufWriter.chunkElements;
                try {
                    GgufWriter.chunkElements = 1000;
                    lm.saveGguf(pieces, o.name("m"));
                } finally {
                    GgufWriter.chunkElements = saved;
                }
                assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(pieces), o.toString());
            }
        }
    }

    @Test
    void refusesWhatItCannotStore() {
        GgufWriter w = new GgufWriter();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> w.addTensor("odd", GgmlType.Q8_0, new long[] {2, 48}, rows(2, 48, new float[96])));
        assertTrue(e.getMessage().contains("'odd'") && e.getMessage().contains("multiple of 32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> w.putU32("k", -1));
        assertThrows(IllegalArgumentException.class, () -> w.putU32("k", 1L << 32));
        w.putString("k", "v");
        assertThrows(IllegalArgumentException.class, () -> w.putString("k", "again"));
        assertThrows(IllegalArgumentException.class,
                () -> w.addTensor("t", GgmlType.F32, new long[] {3, 2}, rows(2, 3, new float[6])));
        w.addTensor("t", GgmlType.F32, new long[] {2, 3}, rows(2, 3, new float[6]));
        assertThrows(IllegalArgumentException.class,
                () -> w.addTensor("t", GgmlType.F32, new long[] {2, 3}, rows(2, 3, new float[6])));
    }
}
