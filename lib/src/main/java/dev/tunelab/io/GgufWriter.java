package dev.tunelab.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a GGUF file (version 3, little-endian), the format llama.cpp loads: typed key-value
 * metadata, then one info record per tensor, then the tensor data, each tensor starting at a
 * multiple of 32 bytes.
 *
 * <pre>{@code
 * new GgufWriter()
 *     .putString("general.architecture", "llama")
 *     .putU32("llama.block_count", 6)
 *     .addTensor("token_embd.weight", GgmlType.Q8_0, new long[] {vocab, hidden}, FloatRows.of(embedding))
 *     .write(Path.of("model.gguf"));
 * }</pre>
 *
 * <p>Layout as in ggml/docs/gguf.md and gguf-py's {@code GGUFWriter}: magic "GGUF", u32 version,
 * u64 tensor count, u64 key-value count; each key a string (u64 length + UTF-8 bytes), a u32 value
 * type and the value (arrays: u32 element type, u64 count, elements); each tensor info its name,
 * u32 dimension count, the u64 dimensions innermost first (a PyTorch (out, in) matrix is written
 * (in, out)), u32 ggml type, u64 offset in the data section. Tensor data is converted a few rows at
 * a time while it is written, so no second copy of a model is ever held. The file is written to a
 * temporary file and renamed into place.
 */
public final class GgufWriter {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    static final int VERSION = 3;
    /** GGUF_DEFAULT_ALIGNMENT: llama.cpp assumes 32 unless general.alignment says otherwise. */
    public static final int ALIGNMENT = 32;

    /** GGUF metadata value types ({@code gguf_type} in ggml/include/gguf.h). */
    static final int UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9;

    /** Elements converted per piece while tensor data is written. */
    static int chunkElements = 1 << 20;

    private record Value(int type, Object value) {}

    private record Tensor(String name, GgmlType type, long[] shape, FloatRows data) {
        long bytes() {
            return type.bytes(data.rows() * data.columns());
        }
    }

    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();

    // ---- metadata ------------------------------------------------------------------------

    public GgufWriter putString(String key, String value) {
        return put(key, STRING, value);
    }

    /** An unsigned 32-bit value (sizes and token ids in llama.cpp's keys). */
    public GgufWriter putU32(String key, long value) {
        if (value < 0 || value > 0xffffffffL) {
            throw new IllegalArgumentException("GGUF key '" + key + "': " + value + " does not fit in a u32");
        }
        return put(key, UINT32, value);
    }

    public GgufWriter putF32(String key, double value) {
        return put(key, FLOAT32, (float) value);
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, BOOL, value);
    }

    public GgufWriter putStrings(String key, List<String> values) {
        return put(key, ARRAY, new Value(STRING, List.copyOf(values)));
    }

    public GgufWriter putI32s(String key, int[] values) {
        return put(key, ARRAY, new Value(INT32, values.clone()));
    }

    private GgufWriter put(String key, int type, Object value) {
        if (key == null || key.isEmpty() || value == null) {
            throw new IllegalArgumentException("GGUF metadata needs a key and a value, got " + key + " = " + value);
        }
        if (metadata.putIfAbsent(key, new Value(type, value)) != null) {
            throw new IllegalArgumentException("GGUF key '" + key + "' set twice");
        }
        return this;
    }

    // ---- tensors -------------------------------------------------------------------------

    /**
     * Adds a tensor of PyTorch shape {@code shape} ((rows, columns) or (columns)) whose values
     * {@code data} yields; they are read and converted to {@code type} when the file is written.
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, FloatRows data) {
        long elements = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (shape.length == 0 || shape.length > 2 || elements != data.rows() * data.columns()
                || shape[shape.length - 1] != data.columns()) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
                    + " does not match " + data.rows() + " rows of " + data.columns());
        }
        if (data.columns() % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': " + type + " needs rows whose length is a multiple of "
                    + type.blockSize + ", this one has " + data.columns());
        }
        if (!tensorNames.add(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        tensors.add(new Tensor(name, type, shape.clone(), data));
        return this;
    }

    /** Bytes of all tensor data, without padding. */
    public long tensorBytes() {
        return tensors.stream().mapToLong(Tensor::bytes).sum();
    }

    // ---- writing -------------------------------------------------------------------------

    /** Writes the file atomically. */
    public void write(Path file) throws IOException {
        byte[] head = header();
        AtomicFiles.writeChannel(file, ch -> {
            SafeTensorsWriter.writeFully(ch, ByteBuffer.wrap(head));
            long position = head.length;
            position += pad(ch, position);
            for (Tensor t : tensors) {
                long written = writeData(ch, t);
                position += written + pad(ch, position + written);
            }
        });
    }

    /** Magic, counts, metadata and tensor infos. */
    byte[] header() {
        Bytes b = new Bytes();
        b.u32(MAGIC);
        b.u32(VERSION);
        b.u64(tensors.size());
        b.u64(metadata.size());
        metadata.forEach((key, v) -> {
            b.string(key);
            b.u32(v.type);
            b.value(v.type, v.value);
        });
        long offset = 0;
        for (Tensor t : tensors) {
            b.string(t.name);
            b.u32(t.shape.length);
            for (int d = t.shape.length - 1; d >= 0; d--) { // ggml lists dimensions innermost first
                b.u64(t.shape[d]);
            }
            b.u32(t.type.id);
            b.u64(offset);
            offset += padded(t.bytes());
        }
        return b.toByteArray();
    }

    private static long writeData(FileChannel ch, Tensor t) throws IOException {
        FloatRows data = t.data;
        long columns = data.columns();
        int group = data.rowGroup();
        long rowsPerPiece = Math.max(group, chunkElements / columns / group * group);
        long written = 0;
        for (long first = 0; first < data.rows(); first += rowsPerPiece) {
            int count = (int) Math.min(rowsPerPiece, data.rows() - first);
            float[] values = data.read(first, count);
            if (values.length != count * columns) {
                throw new IOException("tensor '" + t.name + "': rows " + first + ".." + (first + count) + " gave "
                        + values.length + " values, expected " + count * columns);
            }
            ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(t.type.bytes(values.length))).order(ByteOrder.LITTLE_ENDIAN);
            t.type.encode(values, out);
            out.flip();
            written += out.remaining();
            SafeTensorsWriter.writeFully(ch, out);
        }
        return written;
    }

    private static long padded(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private static long pad(FileChannel ch, long position) throws IOException {
        int n = (int) (padded(position) - position);
        SafeTensorsWriter.writeFully(ch, ByteBuffer.allocate(n));
        return n;
    }

    /** A little-endian byte builder for the header. */
    private static final class Bytes extends ByteArrayOutputStream {
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        void u32(long v) {
            write(scratch.clear().putInt((int) v).array(), 0, 4);
        }

        void u64(long v) {
            write(scratch.clear().putLong(v).array(), 0, 8);
        }

        void string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            u64(utf8.length);
            write(utf8, 0, utf8.length);
        }

        void value(int type, Object v) {
            switch (type) {
                case UINT32 -> u32((Long) v);
                case INT32 -> u32((Integer) v);
                case FLOAT32 -> u32(Float.floatToRawIntBits((Float) v));
                case BOOL -> write((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> {
                    Value a = (Value) v;
                    u32(a.type);
                    if (a.type == STRING) {
                        List<?> items = (List<?>) a.value;
                        u64(items.size());
                        items.forEach(s -> string((String) s));
                    } else {
                        int[] items = (int[]) a.value;
                        u64(items.length);
                        for (int i : items) {
                            u32(i);
                        }
                    }
                }
                default -> throw new IllegalStateException("GGUF value type " + type);
            }
        }
    }
}
