package dev.tunelab.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF reader for tests, written from the format description (ggml/docs/gguf.md) and not from
 * {@link GgufWriter}: it reads every field back with its declared type, checks the alignment rules
 * and the file length, and hands out each tensor's raw bytes.
 */
public final class GgufTestReader {
    public record TensorInfo(String name, long[] ggmlDims, int type, long offset) {}

    public final int version;
    /** Values: Long (u32/u64), Integer (i32), Float, Boolean, String, or List of those. */
    public final Map<String, Object> metadata = new LinkedHashMap<>();
    /** The GGUF type id of each metadata value (arrays: 9). */
    public final Map<String, Integer> metadataTypes = new LinkedHashMap<>();
    public final List<TensorInfo> tensors = new ArrayList<>();
    public final long dataStart;
    private final ByteBuffer file;

    public GgufTestReader(Path path) throws IOException {
        file = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        file.get(magic);
        if (!new String(magic, StandardCharsets.US_ASCII).equals("GGUF")) {
            throw new IOException("not a GGUF file: magic " + new String(magic, StandardCharsets.ISO_8859_1));
        }
        version = file.getInt();
        long tensorCount = file.getLong();
        long kvCount = file.getLong();
        for (long i = 0; i < kvCount; i++) {
            String key = string();
            int type = file.getInt();
            metadataTypes.put(key, type);
            if (metadata.put(key, value(type)) != null) {
                throw new IOException("duplicate key " + key);
            }
        }
        for (long i = 0; i < tensorCount; i++) {
            String name = string();
            int dims = file.getInt();
            long[] ne = new long[dims];
            for (int d = 0; d < dims; d++) {
                ne[d] = file.getLong();
            }
            tensors.add(new TensorInfo(name, ne, file.getInt(), file.getLong()));
        }
        long alignment = metadata.containsKey("general.alignment") ? (Long) metadata.get("general.alignment") : 32;
        dataStart = (file.position() + alignment - 1) / alignment * alignment;
        for (int p = file.position(); p < dataStart; p++) {
            if (file.get(p) != 0) {
                throw new IOException("non-zero padding byte at " + p);
            }
        }
    }

    /** The stored bytes of a tensor, {@code size} of them. */
    public ByteBuffer data(TensorInfo t, long size) {
        return file.slice((int) (dataStart + t.offset()), (int) size).order(ByteOrder.LITTLE_ENDIAN);
    }

    public long fileLength() {
        return file.capacity();
    }

    public TensorInfo tensor(String name) {
        return tensors.stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no tensor " + name));
    }

    private String string() {
        long n = file.getLong();
        byte[] b = new byte[Math.toIntExact(n)];
        file.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private Object value(int type) throws IOException {
        switch (type) {
            case 0: return (long) (file.get() & 0xff);
            case 1: return (int) file.get();
            case 2: return (long) (file.getShort() & 0xffff);
            case 3: return (int) file.getShort();
            case 4: return file.getInt() & 0xffffffffL;
            case 5: return file.getInt();
            case 6: return file.getFloat();
            case 7: {
                byte b = file.get();
                if (b != 0 && b != 1) {
                    throw new IOException("bool byte " + b);
                }
                return b == 1;
            }
            case 8: return string();
            case 9: {
                int itemType = file.getInt();
                long n = file.getLong();
                List<Object> items = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    items.add(value(itemType));
                }
                return items;
            }
            case 10: return file.getLong();
            case 11: return file.getLong();
            case 12: return file.getDouble();
            default: throw new IOException("unknown GGUF value type " + type);
        }
    }
}
