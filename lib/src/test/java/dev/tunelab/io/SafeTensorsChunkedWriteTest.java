package dev.tunelab.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Arrays are written piece by piece; the pieces must join into exactly the bytes of the whole
 * tensor, and fp32 values must reach bf16/fp16 with the rounding PyTorch applies (expected bit
 * patterns worked out by hand below).
 */
class SafeTensorsChunkedWriteTest {
    @TempDir Path dir;
    NDManager m;
    int savedChunk;

    @BeforeEach
    void setUp() {
        m = NDManager.newBaseManager();
        savedChunk = SafeTensorsWriter.chunkElements;
        SafeTensorsWriter.chunkElements = 5; // pieces end in the middle of rows and of the pattern list
    }

    @AfterEach
    void tearDown() {
        SafeTensorsWriter.chunkElements = savedChunk;
        m.close();
    }

    /** fp32 bits -> expected bf16 bits (keep the top 16 bits, round to nearest, ties to even). */
    static final int[][] BF16 = {
        {0x3f800000, 0x3f80}, // 1
        {0x3f808000, 0x3f80}, // 1 + 2^-8: halfway, 0x3f80 is even so it stays
        {0x3f818000, 0x3f82}, // 1 + 3*2^-8: halfway, 0x3f81 is odd so it goes up
        {0x3f808001, 0x3f81}, // just above halfway
        {0x3f807fff, 0x3f80}, // just below halfway
        {0xbfc00000, 0xbfc0}, // -1.5 exact
        {0x80000000, 0x8000}, // -0
        {0x7f7fffff, 0x7f80}, // MAX_VALUE rounds up to +inf
        {0x7f7f7fff, 0x7f7f}, // largest value that rounds down to the largest finite bf16
        {0x7f800000, 0x7f80}, // +inf
        {0xff800000, 0xff80}, // -inf
        {0x7fc00000, 0x7fc0}, // quiet NaN
        {0x7f800001, 0x7fc0}, // signalling NaN whose payload is all in the dropped half: NaN, never inf
        {0xffa00000, 0xffe0}, // negative NaN: sign and payload bit kept, quiet bit set
        {0x00000001, 0x0000}, // smallest fp32 subnormal: far below half a bf16 step
        {0x00008000, 0x0000}, // subnormal exactly halfway between 0 and 0x0001: even is 0
        {0x00018000, 0x0002}, // halfway between 0x0001 and 0x0002: even is 0x0002
        {0x00008001, 0x0001}, // just above halfway: the smallest bf16 subnormal
        {0x007fffff, 0x0080}, // largest subnormal rounds up to the smallest normal
        {0x80018000, 0x8002}, // negative subnormal tie
    };

    /** fp32 bits -> expected fp16 bits (IEEE binary16, round to nearest even). */
    static final int[][] F16 = {
        {0x3f800000, 0x3c00}, // 1
        {0x3f801000, 0x3c00}, // 1 + 2^-11: halfway, even stays
        {0x3f803000, 0x3c02}, // 1 + 3*2^-11: halfway, odd goes up
        {0x477fe000, 0x7bff}, // 65504, the largest fp16
        {0x477ff000, 0x7c00}, // 65520: halfway to 2^16, rounds to +inf
        {0x33800000, 0x0001}, // 2^-24, the smallest fp16 subnormal
        {0x33000000, 0x0000}, // 2^-25: halfway between 0 and 2^-24, even is 0
        {0x7fc00000, 0x7e00}, // NaN
        {0xff800000, 0xfc00}, // -inf
    };

    @Test
    void bf16AndFp16BitsAcrossPieceBoundaries() throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("bf", m.create(floats(BF16), new ai.djl.ndarray.types.Shape(4, 5)));
        tensors.put("h", m.create(floats(F16)));
        for (Dtype target : new Dtype[] {Dtype.BF16, Dtype.F16}) {
            Path p = dir.resolve(target + ".safetensors");
            SafeTensors.writer().floatsAs(target).write(p, tensors);
            int[][] table = target == Dtype.BF16 ? BF16 : F16;
            String name = target == Dtype.BF16 ? "bf" : "h";
            try (SafeTensorsFile f = SafeTensors.open(p)) {
                ByteBuffer raw = f.raw(name);
                for (int i = 0; i < table.length; i++) {
                    int got = raw.getShort(2 * i) & 0xffff;
                    assertEquals(table[i][1], got, String.format("%s of 0x%08x: got 0x%04x", target, table[i][0], got));
                }
            }
        }
    }

    @Test
    void piecesJoinIntoTheWholeTensorForEveryType() throws IOException {
        float[] v = new float[103];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(i) * 7;
        }
        NDArray f32 = m.create(v, new ai.djl.ndarray.types.Shape(103));
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("f32", f32.reshape(1, 103));
        tensors.put("f16", f32.toType(DataType.FLOAT16, false));
        tensors.put("i64", m.arange(0, 37, 1, DataType.INT64));
        tensors.put("t", m.arange(12f).reshape(3, 4).transpose()); // not contiguous
        tensors.put("scalar", m.create(2.5f));
        Path p = dir.resolve("all.safetensors");
        SafeTensors.writer().write(p, tensors);
        try (SafeTensorsFile f = SafeTensors.open(p)) {
            assertArrayEquals(v, f.floats("f32"));
            assertArrayEquals(tensors.get("f16").toType(DataType.FLOAT32, false).toFloatArray(), f.floats("f16"));
            float[] ints = new float[37];
            for (int i = 0; i < ints.length; i++) {
                ints[i] = i;
            }
            assertArrayEquals(ints, f.floats("i64"));
            assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, f.floats("t"));
            assertArrayEquals(new float[] {2.5f}, f.floats("scalar"));
            assertArrayEquals(new long[0], f.info("scalar").shape());
        }
    }

    private static float[] floats(int[][] table) {
        float[] out = new float[table.length];
        for (int i = 0; i < table.length; i++) {
            out[i] = Float.intBitsToFloat(table[i][0]);
        }
        return out;
    }
}
