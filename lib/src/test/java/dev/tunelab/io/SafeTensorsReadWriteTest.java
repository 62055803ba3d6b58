package dev.tunelab.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsReadWriteTest {
    @TempDir Path dir;
    NDManager m;

    @BeforeEach
    void setUp() {
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    /** The same edge values lib/src/test/python/make_reference_file.py stores. */
    static final float[] REF_VALUES = {
        0f, -0f, 1f, -2.5f, 3.1415927f, 65504f, 65520f, 1e-8f, 6e-5f, 1e30f,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, (float) (1.0 / 3.0), 0.1f,
        1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 1f + 0x1p-11f, 0x1p-24f, 1e-40f, Float.NaN
    };

    private Path reference() throws IOException {
        Path p = dir.resolve("reference.safetensors");
        try (InputStream in = getClass().getResourceAsStream("/safetensors/reference.safetensors")) {
            Files.copy(in, p);
        }
        return p;
    }

    private static int[] bits(float[] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = Float.floatToRawIntBits(a[i]);
        }
        return out;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    // ---- reading files written by others -------------------------------------------------

    @Test
    void handAssembledFileReads() throws IOException {
        // What Python's safetensors writes for {"b": int64 [2], "a": float32 [[1.5, -2]]}:
        // I64 sorts before F32; header padded with spaces to a multiple of 8.
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[16,24]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer file = ByteBuffer.allocate(8 + padded + 24).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(padded).put(h);
        while (file.position() < 8 + padded) {
            file.put((byte) ' ');
        }
        file.putLong(-3L).putLong(1L << 40).putFloat(1.5f).putFloat(-2f);
        Path p = dir.resolve("python.safetensors");
        Files.write(p, file.array());

        try (SafeTensorsFile f = SafeTensors.open(p)) {
            assertEquals(List.of("b", "a"), f.names());
            assertEquals(Map.of("format", "pt"), f.metadata());
            SafeTensorsInfo a = f.info("a");
            assertEquals(Dtype.F32, a.dtype());
            assertArrayEquals(new long[] {1, 2}, a.shape());
            assertEquals(16, a.begin());
            assertEquals(24, a.end());
            assertEquals(8 + padded, f.dataStart());
            NDArray arr = f.load(m, "a");
            assertEquals(new Shape(1, 2), arr.getShape());
            assertEquals(DataType.FLOAT32, arr.getDataType());
            assertArrayEquals(new float[] {1.5f, -2f}, arr.toFloatArray());
            NDArray b = f.load(m, "b");
            assertEquals(DataType.INT64, b.getDataType());
            assertArrayEquals(new long[] {-3L, 1L << 40}, b.toLongArray());
        }
    }

    @Test
    void pythonReferenceFileReadsExactly() throws IOException {
        try (SafeTensorsFile f = SafeTensors.open(reference())) {
            assertEquals(List.of("i64", "f64", "empty", "f32", "scalar", "i32", "bf16", "f16", "i8",
                    "u8", "mask"), f.names());
            assertEquals("make_reference_file.py", f.metadata().get("source"));
            assertArrayEquals(bits(REF_VALUES), bits(f.floats("f32")));
            assertArrayEquals(bits(REF_VALUES), bits(f.load(m, "f32").toFloatArray()));

            // BF16 as rounded by torch: our reader must give exactly these floats...
            float[] expectedBf16 = {
                0f, -0f, 1f, -2.5f, 3.140625f, 65536f, 65536f, Float.intBitsToFloat(0x322c0000),
                Float.intBitsToFloat(0x387c0000), Float.intBitsToFloat(0x714a0000),
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0.333984375f, 0.10009765625f,
                1f, 1.015625f, 1f, 0x1p-24f, Float.intBitsToFloat(0x00010000), Float.NaN
            };
            float[] bf16 = f.floats("bf16");
            NDArray bf16Array = f.load(m, "bf16");
            assertEquals(DataType.FLOAT32, bf16Array.getDataType());
            assertArrayEquals(bits(bf16), bits(bf16Array.toFloatArray()));
            ByteBuffer raw = f.raw("bf16");
            // NaN bits are the converter's choice (torch 1.13 gives 0xffff), so NaN is checked apart.
            for (int i = 0; i < REF_VALUES.length - 1; i++) {
                // ...and our own rounding must agree with torch's bit for bit.
                assertEquals(raw.getShort(2 * i), HalfFloats.floatToBf16(REF_VALUES[i]), "bf16 #" + i);
                if (i < 19) {
                    assertEquals(Float.floatToRawIntBits(expectedBf16[i]),
                            Float.floatToRawIntBits(bf16[i]), "bf16 value #" + i);
                }
            }
            assertTrue(Float.isNaN(bf16[19]));

            // F16 as rounded by numpy; default load keeps FLOAT16, FLOAT32 on request.
            float[] f16 = f.floats("f16");
            assertEquals(65504f, f16[5]);
            assertEquals(Float.POSITIVE_INFINITY, f16[6]); // 65520 overflows
            assertEquals(0f, f16[7]); // 1e-8 underflows
            assertEquals(1f, f16[16]); // tie to even
            assertEquals(0.0999755859375f, f16[13]);
            assertEquals(0x1p-24f, f16[17]);
            assertEquals(1007 * 0x1p-24f, f16[8]); // 6e-5 is subnormal in fp16
            ByteBuffer rawF16 = f.raw("f16");
            for (int i = 0; i < REF_VALUES.length; i++) {
                assertEquals(rawF16.getShort(2 * i), HalfFloats.floatToHalf(REF_VALUES[i]), "f16 #" + i);
            }
            NDArray h = f.load(m, "f16");
            assertEquals(DataType.FLOAT16, h.getDataType());
            assertEquals(new Shape(2, 10), h.getShape());
            assertArrayEquals(bits(f16), bits(f.load(m, "f16", DataType.FLOAT32).toFloatArray()));

            NDArray d = f.load(m, "f64");
            assertEquals(DataType.FLOAT32, d.getDataType());
            assertArrayEquals(new float[] {(float) (1.0 / 3.0), Float.NEGATIVE_INFINITY, 2.5f},
                    d.toFloatArray());
            assertArrayEquals(new double[] {1.0 / 3.0, -1e300, 2.5},
                    f.load(m, "f64", DataType.FLOAT64).toDoubleArray());
            assertArrayEquals(new long[] {-1, 1L << 40, Long.MAX_VALUE}, f.load(m, "i64").toLongArray());
            assertArrayEquals(new int[] {-7, 0, 123456, Integer.MIN_VALUE}, f.load(m, "i32").toIntArray());
            assertArrayEquals(new byte[] {-128, 0, 127}, f.load(m, "i8").toByteArray());
            assertArrayEquals(new byte[] {0, 1, (byte) 255}, f.load(m, "u8").toByteArray());
            NDArray mask = f.load(m, "mask");
            assertEquals(DataType.BOOLEAN, mask.getDataType());
            assertArrayEquals(new boolean[] {true, false, false, true}, mask.toBooleanArray());
            NDArray scalar = f.load(m, "scalar");
            assertEquals(new Shape(), scalar.getShape());
            assertEquals(7.5f, scalar.getFloat());
            NDArray empty = f.load(m, "empty");
            assertEquals(new Shape(0, 3), empty.getShape());
        }
    }

    @Test
    void bf16LoadsAsFloat16OnRequestWithSingleRounding() throws IOException {
        try (SafeTensorsFile f = SafeTensors.open(reference())) {
            NDArray h = f.load(m, "bf16", DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, h.getDataType());
            float[] viaHalf = h.toType(DataType.FLOAT32, false).toFloatArray();
            float[] bf16 = f.floats("bf16");
            for (int i = 0; i < bf16.length; i++) {
                float expected = HalfFloats.halfToFloat(HalfFloats.floatToHalf(bf16[i]));
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(viaHalf[i]), "#" + i);
            }
            SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class,
                    () -> f.load(m, "bf16", DataType.BFLOAT16));
            assertTrue(e.getMessage().contains("tensor 'bf16'"));
            e = assertThrows(SafeTensorsFormatException.class, () -> f.load(m, "i64", DataType.FLOAT32));
            assertTrue(e.getMessage().contains("cannot load dtype I64 as float32")
                    || e.getMessage().contains("cannot load dtype I64 as FLOAT32"), e.getMessage());
            IllegalArgumentException missing =
                    assertThrows(IllegalArgumentException.class, () -> f.info("nope"));
            assertTrue(missing.getMessage().contains("no tensor 'nope'"));
        }
    }

    @Test
    void readsOneTensorWithoutTouchingOthers() throws IOException {
        // Tensor "a" has garbage bytes that are never looked at; reading "b" maps only its range.
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1024],\"data_offsets\":[0,4096]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4096,4104]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + h.length + 4104).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(h.length).put(h);
        for (int i = 0; i < 4096; i++) {
            file.put((byte) 0x7f);
        }
        file.putFloat(0.25f).putFloat(-8f);
        Path p = dir.resolve("two.safetensors");
        Files.write(p, file.array());
        try (SafeTensorsFile f = SafeTensors.open(p)) {
            ByteBuffer b = f.raw("b");
            assertEquals(8, b.capacity()); // a mapping of b's bytes only
            assertArrayEquals(new float[] {0.25f, -8f}, f.load(m, "b").toFloatArray());
        }
    }

    // ---- writing -------------------------------------------------------------------------

    private Map<String, NDArray> sampleTensors() {
        Map<String, NDArray> t = new LinkedHashMap<>();
        t.put("model.layers.0.weight", m.create(new float[] {1f, -2f, 0.1f, Float.NaN, 1e-40f, 3e38f},
                new Shape(2, 3)));
        t.put("model.embed", m.create(new float[] {0.5f, 0.25f}, new Shape(1, 2)).toType(DataType.FLOAT16, false));
        t.put("ids", m.create(new long[] {1, -1, Long.MIN_VALUE}));
        t.put("pos", m.create(new int[] {7, 8}));
        t.put("small", m.create(new byte[] {-1, 2}));
        t.put("bytes", m.create(new byte[] {(byte) 200, 3}).toType(DataType.UINT8, false));
        t.put("mask", m.create(new boolean[] {true, false, true}));
        t.put("scalar", m.create(2.5f));
        t.put("zero", m.zeros(new Shape(0, 4)));
        t.put("double", m.create(new double[] {1.0 / 3.0}));
        return t;
    }

    @Test
    void roundTripIsByteExactAndRewriteIsIdentical() throws IOException {
        Map<String, NDArray> t = sampleTensors();
        Path p1 = dir.resolve("one.safetensors");
        SafeTensors.write(p1, t, Map.of("step", "7"));

        Map<String, NDArray> back = new LinkedHashMap<>();
        try (SafeTensorsFile f = SafeTensors.open(p1)) {
            assertEquals(Map.of("format", "pt", "step", "7"), f.metadata());
            // Reference order: descending dtype (I64, F64, F32, I32, F16, I8, U8, BOOL), then name.
            assertEquals(List.of("ids", "double", "model.layers.0.weight", "scalar", "zero", "pos",
                    "model.embed", "small", "bytes", "mask"), f.names());
            for (Map.Entry<String, NDArray> e : t.entrySet()) {
                NDArray orig = e.getValue();
                SafeTensorsInfo info = f.info(e.getKey());
                assertEquals(Dtype.of(orig.getDataType()), info.dtype());
                assertArrayEquals(orig.getShape().getShape(), info.shape());
                ByteBuffer expected = orig.toByteBuffer().order(ByteOrder.nativeOrder());
                assertArrayEquals(bytes(SafeTensorsWriter.encode(expected, info.dtype(), info.dtype(),
                        (int) orig.size())), bytes(f.raw(e.getKey())), e.getKey());
                // Load in the array's own type so the rewrite below can be byte-identical.
                DataType own = orig.getDataType();
                NDArray loaded = f.load(m, e.getKey(), own);
                assertEquals(own, loaded.getDataType());
                assertArrayEquals(bytes(orig.toByteBuffer()), bytes(loaded.toByteBuffer()), e.getKey());
                back.put(e.getKey(), loaded);
            }
            Path p2 = dir.resolve("two.safetensors");
            SafeTensors.write(p2, back, f.metadata());
            assertArrayEquals(Files.readAllBytes(p1), Files.readAllBytes(p2));
        }
        // The header is padded with spaces to a multiple of 8 and starts with the metadata.
        byte[] all = Files.readAllBytes(p1);
        long n = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        String header = new String(all, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\",\"step\":\"7\"},\"ids\":"
                + "{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,24]}"), header);
        assertTrue(header.endsWith("}") || header.matches("(?s).*} +"), header);
    }

    @Test
    void writerReproducesPythonFileByteForByte() throws IOException {
        Path ref = reference();
        List<SafeTensorsWriter.Entry> entries = new ArrayList<>();
        Map<String, String> meta;
        try (SafeTensorsFile f = SafeTensors.open(ref)) {
            meta = f.metadata();
            // Feed the tensors in reverse order: the writer must sort them as the reference does.
            List<String> names = f.names();
            for (int i = names.size() - 1; i >= 0; i--) {
                SafeTensorsInfo info = f.info(names.get(i));
                ByteBuffer copy = ByteBuffer.wrap(bytes(f.raw(info.name())));
                entries.add(SafeTensorsWriter.rawEntry(info.name(), info.dtype(), info.shape(), copy));
            }
        }
        Path out = dir.resolve("rewritten.safetensors");
        SafeTensors.writer().metadata(meta).writeEntries(out, entries);
        assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(out));
    }

    @Test
    void storesFloatsAsBf16WithRoundToNearestEven() throws IOException {
        float[] v = {1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 3.1415927f, -0f, Float.MAX_VALUE, 1e-40f};
        Map<String, NDArray> t = new LinkedHashMap<>();
        t.put("w", m.create(v));
        t.put("h", m.create(new float[] {1f + 0x1p-8f}).toType(DataType.FLOAT16, false));
        t.put("i", m.create(new int[] {3})); // integers are left alone
        Path p = dir.resolve("bf16.safetensors");
        SafeTensors.writer().floatsAs(Dtype.BF16).write(p, t);
        try (SafeTensorsFile f = SafeTensors.open(p)) {
            assertEquals(Dtype.BF16, f.info("w").dtype());
            assertEquals(Dtype.BF16, f.info("h").dtype());
            assertEquals(Dtype.I32, f.info("i").dtype());
            ByteBuffer raw = f.raw("w");
            short[] expected = {(short) 0x3f80, (short) 0x3f82, (short) 0x4049, (short) 0x8000,
                (short) 0x7f80, (short) 0x0001};
            for (int i = 0; i < v.length; i++) {
                assertEquals(expected[i], raw.getShort(2 * i), "w #" + i);
            }
            assertEquals((short) 0x3f80, f.raw("h").getShort(0)); // fp16 1+2^-8, tie to even
            assertArrayEquals(new float[] {1f, 1.015625f, 3.140625f, -0f, Float.POSITIVE_INFINITY,
                Float.intBitsToFloat(0x00010000)}, f.load(m, "w").toFloatArray());
        }
    }

    @Test
    void nonContiguousArrayIsWrittenInLogicalOrder() throws IOException {
        NDArray a = m.arange(6f).reshape(2, 3).transpose();
        Path p = dir.resolve("t.safetensors");
        SafeTensors.write(p, Map.of("t", a), null);
        try (SafeTensorsFile f = SafeTensors.open(p)) {
            assertArrayEquals(new long[] {3, 2}, f.info("t").shape());
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, f.floats("t"));
        }
    }

    @Test
    void failedWriteLeavesOldFileAndNoTempFile() throws IOException {
        Path p = dir.resolve("keep.safetensors");
        SafeTensors.write(p, Map.of("a", m.create(new float[] {1f})), null);
        byte[] before = Files.readAllBytes(p);
        List<SafeTensorsWriter.Entry> entries = List.of(
                SafeTensorsWriter.rawEntry("x", Dtype.F32, new long[] {1}, ByteBuffer.allocate(4)),
                new SafeTensorsWriter.Entry("y", Dtype.F32, new long[] {1}) {
                    @Override
                    ByteBuffer bytes() throws IOException {
                        throw new IOException("disk full (simulated)");
                    }
                });
        IOException e = assertThrows(IOException.class,
                () -> SafeTensors.writer().writeEntries(p, entries));
        assertEquals("disk full (simulated)", e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(p));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(p), s.toList());
        }
    }

    @Test
    void rejectsBadWriterInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(dir.resolve("x.safetensors"),
                        Map.of("__metadata__", m.create(1f)), null));
        assertTrue(e.getMessage().contains("reserved"));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.writer().floatsAs(Dtype.I32));
        assertFalse(Files.exists(dir.resolve("x.safetensors")));
    }

    // ---- sharded checkpoints -------------------------------------------------------------

    @Test
    void shardedCheckpointWritesAndLoads() throws IOException {
        Map<String, NDArray> t = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            t.put("layer." + i + ".weight", m.create(new float[] {i, i + 0.5f, -i}));
        }
        Path ckpt = dir.resolve("ckpt");
        // 12 bytes per tensor, 30 per shard: shards of 2, 2 and 1 tensors.
        List<Path> files = SafeTensors.writer().maxShardBytes(30).writeCheckpoint(ckpt, t);
        assertEquals(List.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", SafeTensors.INDEX_FILE),
                files.stream().map(x -> x.getFileName().toString()).toList());
        Map<String, String> wm = SafeTensors.readIndex(ckpt.resolve(SafeTensors.INDEX_FILE));
        assertEquals("model-00003-of-00003.safetensors", wm.get("layer.4.weight"));
        String index = Files.readString(ckpt.resolve(SafeTensors.INDEX_FILE));
        assertTrue(index.contains("\"total_size\" : 60"), index);

        Map<String, NDArray> back = SafeTensors.loadAll(m, ckpt);
        assertEquals(t.keySet(), back.keySet());
        for (String k : t.keySet()) {
            assertArrayEquals(t.get(k).toFloatArray(), back.get(k).toFloatArray(), k);
        }

        // Saving again unsharded replaces the shards and the index.
        SafeTensors.writer().writeCheckpoint(ckpt, t);
        try (Stream<Path> s = Files.list(ckpt)) {
            assertEquals(List.of(SafeTensors.MODEL_FILE),
                    s.map(x -> x.getFileName().toString()).toList());
        }
        assertEquals(5, SafeTensors.loadAll(m, ckpt).size());
        assertEquals(5, SafeTensors.loadAll(m, ckpt.resolve(SafeTensors.MODEL_FILE)).size());
    }

    private Path shardedFixture() throws IOException {
        Path ckpt = dir.resolve("bad");
        Files.createDirectories(ckpt);
        SafeTensors.write(ckpt.resolve("s1.safetensors"),
                Map.of("a", m.create(new float[] {1f}), "b", m.create(new float[] {2f})), null);
        SafeTensors.write(ckpt.resolve("s2.safetensors"), Map.of("c", m.create(new float[] {3f})), null);
        return ckpt;
    }

    private String indexFailure(Path ckpt, String weightMap) throws IOException {
        Files.writeString(ckpt.resolve(SafeTensors.INDEX_FILE),
                "{\"metadata\":{},\"weight_map\":" + weightMap + "}");
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class,
                () -> SafeTensors.loadAll(m, ckpt));
        assertTrue(e.getMessage().contains(SafeTensors.INDEX_FILE), e.getMessage());
        return e.getMessage();
    }

    @Test
    void shardedIndexErrorsAreClear() throws IOException {
        Path ckpt = shardedFixture();
        // Valid first, so each failure below is due to the one thing changed.
        Files.writeString(ckpt.resolve(SafeTensors.INDEX_FILE),
                "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\",\"c\":\"s2.safetensors\"}}");
        assertEquals(3, SafeTensors.loadAll(m, ckpt).size());

        String msg = indexFailure(ckpt,
                "{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\",\"c\":\"s3.safetensors\"}");
        assertTrue(msg.contains("shard 's3.safetensors'") && msg.contains("does not exist")
                && msg.contains("tensor 'c'"), msg);

        msg = indexFailure(ckpt,
                "{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\",\"c\":\"s1.safetensors\"}");
        assertTrue(msg.contains("tensor 'c'") && msg.contains("shard 's1.safetensors'")
                && msg.contains("does not contain it"), msg);

        msg = indexFailure(ckpt, "{\"a\":\"s1.safetensors\",\"c\":\"s2.safetensors\"}");
        assertTrue(msg.contains("tensor 'b'") && msg.contains("does not list"), msg);

        msg = indexFailure(ckpt, "{\"a\":\"../s1.safetensors\"}");
        assertTrue(msg.contains("tensor 'a'") && msg.contains("same directory"), msg);

        msg = indexFailure(ckpt, "[1]");
        assertTrue(msg.contains("'weight_map'"), msg);

        // A tensor present in two shards.
        SafeTensors.write(ckpt.resolve("s2.safetensors"),
                Map.of("c", m.create(new float[] {3f}), "a", m.create(new float[] {9f})), null);
        msg = indexFailure(ckpt,
                "{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\",\"c\":\"s2.safetensors\"}");
        assertTrue(msg.contains("tensor 'a'") && msg.contains("both shard"), msg);
    }
}
