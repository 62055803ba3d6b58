package dev.tunelab.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Writes safetensors files and sharded checkpoints, atomically.
 *
 * <pre>{@code
 * SafeTensors.writer()
 *     .metadata(Map.of("note", "step 100"))
 *     .floatsAs(Dtype.BF16)                 // optional: store every float tensor as BF16
 *     .write(Path.of("model.safetensors"), tensors);
 *
 * SafeTensors.writer().maxShardBytes(2_000_000_000L)
 *     .writeCheckpoint(Path.of("out"), tensors); // model.safetensors, or shards + index
 * }</pre>
 *
 * <p>Layout is what Hugging Face's {@code safetensors} produces: compact JSON header with
 * {@code __metadata__} first, then tensors sorted by descending dtype and then by name (unless
 * {@link #keepInsertionOrder(boolean)}), padded with spaces to a multiple of 8 bytes, then the
 * little-endian data with no gaps. Metadata always gets {@code "format": "pt"} unless it has a
 * format key, because {@code transformers} rejects safetensors metadata without one.
 *
 * <p>Each file goes to a temporary file in the target directory, is fsynced and then renamed over
 * the target, so a crash leaves either the old file or the complete new one.
 */
public final class SafeTensorsWriter {
    private static final Pattern SHARD_NAME =
            Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");

    private Map<String, String> metadata = Map.of();
    private Dtype floatsAs;
    private boolean keepInsertionOrder;
    private long maxShardBytes = Long.MAX_VALUE;

    SafeTensorsWriter() {}

    /** String metadata stored under {@code __metadata__}. */
    public SafeTensorsWriter metadata(Map<String, String> metadata) {
        this.metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        return this;
    }

    /**
     * Stores every floating-point tensor (F16/F32/F64 arrays) as {@code dtype}: F32, F16, BF16 or
     * F64, rounding to nearest even; null (the default) keeps each array's own type.
     */
    public SafeTensorsWriter floatsAs(Dtype dtype) {
        if (dtype != null && !dtype.isFloat()) {
            throw new IllegalArgumentException("floatsAs takes F32, F16, BF16 or F64, not " + dtype);
        }
        this.floatsAs = dtype;
        return this;
    }

    /** Writes tensors in map order instead of the reference library's dtype-then-name order. */
    public SafeTensorsWriter keepInsertionOrder(boolean keep) {
        this.keepInsertionOrder = keep;
        return this;
    }

    /**
     * Largest data size of one shard for {@link #writeCheckpoint}; a single tensor larger than this
     * gets a shard of its own.
     */
    public SafeTensorsWriter maxShardBytes(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive: " + bytes);
        }
        this.maxShardBytes = bytes;
        return this;
    }

    /** Writes one safetensors file atomically. */
    public void write(Path file, Map<String, NDArray> tensors) throws IOException {
        writeEntries(file, toEntries(tensors));
    }

    /**
     * Writes a checkpoint directory the way {@code transformers} does: {@code model.safetensors}
     * when everything fits in {@link #maxShardBytes}, otherwise {@code
     * model-0000i-of-0000n.safetensors} shards plus {@code model.safetensors.index.json}. The
     * index is written last; shard files and an index left from an earlier save that the new
     * checkpoint does not use are deleted afterwards.
     *
     * @return the files written (shards first, the index last)
     */
    public List<Path> writeCheckpoint(Path directory, Map<String, NDArray> tensors)
            throws IOException {
        Files.createDirectories(directory);
        List<Entry> all = toEntries(tensors);
        List<List<Entry>> shards = new ArrayList<>();
        List<Entry> current = new ArrayList<>();
        long currentBytes = 0;
        // Greedy in map order (as transformers does), so a model's layers stay together.
        for (Entry e : all) {
            long b = e.byteSize();
            if (!current.isEmpty() && currentBytes + b > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(e);
            currentBytes += b;
        }
        if (!current.isEmpty() || shards.isEmpty()) {
            shards.add(current);
        }

        List<Path> written = new ArrayList<>();
        Path index = directory.resolve(SafeTensors.INDEX_FILE);
        if (shards.size() == 1) {
            Path file = directory.resolve(SafeTensors.MODEL_FILE);
            writeEntries(file, shards.get(0));
            written.add(file);
            Files.deleteIfExists(index);
            deleteStaleShards(directory, Set.of());
            return written;
        }
        Map<String, String> weightMap = new TreeMap<>();
        long total = 0;
        for (int s = 0; s < shards.size(); s++) {
            String name = String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
            Path file = directory.resolve(name);
            writeEntries(file, shards.get(s));
            written.add(file);
            for (Entry e : shards.get(s)) {
                weightMap.put(e.name, name);
                total += e.byteSize();
            }
        }
        ObjectNode root = SafeTensorsHeader.JSON.createObjectNode();
        root.putObject("metadata").put("total_size", total);
        ObjectNode wm = root.putObject("weight_map");
        weightMap.forEach(wm::put);
        byte[] json = (SafeTensorsHeader.JSON.writerWithDefaultPrettyPrinter()
                        .writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        AtomicFiles.writeChannel(index, ch -> writeFully(ch, ByteBuffer.wrap(json)));
        written.add(index);
        Files.deleteIfExists(directory.resolve(SafeTensors.MODEL_FILE));
        Set<String> keep = new HashSet<>(weightMap.values());
        deleteStaleShards(directory, keep);
        return written;
    }

    private static void deleteStaleShards(Path directory, Set<String> keep) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (SHARD_NAME.matcher(n).matches() && !keep.contains(n)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    // ---- internals -------------------------------------------------------------------------

    /** One tensor to write: its stored dtype, shape and a way to produce its bytes. */
    abstract static class Entry {
        final String name;
        final Dtype dtype;
        final long[] shape;

        Entry(String name, Dtype dtype, long[] shape) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
        }

        long byteSize() {
            long n = dtype.size();
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        /** The stored bytes, little-endian, exactly {@link #byteSize()} of them. */
        abstract ByteBuffer bytes() throws IOException;

        /** Writes the stored bytes; entries of large arrays override this to write piece by piece. */
        void writeTo(FileChannel ch) throws IOException {
            ByteBuffer b = bytes();
            if (b.remaining() != byteSize()) {
                throw new IOException("tensor '" + name + "' produced " + b.remaining()
                        + " bytes, expected " + byteSize());
            }
            writeFully(ch, b);
        }
    }

    /** Elements converted per piece when an array is written: a few MB, whatever the tensor's size. */
    static int chunkElements = 1 << 20;

    /** An entry whose bytes are already little-endian {@code dtype} data. */
    static Entry rawEntry(String name, Dtype dtype, long[] shape, ByteBuffer littleEndianBytes) {
        return new Entry(name, dtype, shape.clone()) {
            @Override
            ByteBuffer bytes() {
                return littleEndianBytes.duplicate();
            }
        };
    }

    private List<Entry> toEntries(Map<String, NDArray> tensors) {
        List<Entry> out = new ArrayList<>(tensors.size());
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            out.add(arrayEntry(e.getKey(), e.getValue(), floatsAs));
        }
        return out;
    }

    static Entry arrayEntry(String name, NDArray array, Dtype floatsAs) {
        if (name == null || array == null) {
            throw new IllegalArgumentException("null tensor name or array");
        }
        if (SafeTensorsHeader.METADATA_KEY.equals(name)) {
            throw new IllegalArgumentException("'__metadata__' is reserved and cannot name a tensor");
        }
        DataType type = array.getDataType();
        Dtype own;
        try {
            own = Dtype.of(type);
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("tensor '" + name + "': " + ex.getMessage(), ex);
        }
        Dtype stored = own.isFloat() && floatsAs != null && own != Dtype.BF16 ? floatsAs : own;
        return new Entry(name, stored, array.getShape().getShape()) {
            @Override
            ByteBuffer bytes() {
                ByteBuffer src = array.toByteBuffer(); // a copy, in native order
                return encode(src, own, stored, Math.toIntExact(array.size()));
            }

            @Override
            void writeTo(FileChannel ch) throws IOException {
                // Piece by piece over the flattened array, so that writing never holds a second
                // copy of a whole tensor (nor needs one Java buffer for tensors over 2 GiB).
                long total = array.size();
                long written = 0;
                try (NDArray flat = array.reshape(-1)) {
                    for (long from = 0; from < total; from += chunkElements) {
                        long to = Math.min(total, from + chunkElements);
                        ByteBuffer out;
                        try (NDArray piece = flat.get(new NDIndex("{}:{}", from, to))) {
                            out = encode(piece.toByteBuffer(), own, stored, (int) (to - from));
                        }
                        written += out.remaining();
                        writeFully(ch, out);
                    }
                }
                if (written != byteSize()) {
                    throw new IOException("tensor '" + name + "' produced " + written + " bytes, expected " + byteSize());
                }
            }
        };
    }

    /** Re-encodes native-order elements of {@code from} as little-endian {@code to}. */
    static ByteBuffer encode(ByteBuffer src, Dtype from, Dtype to, int count) {
        if (from == to) {
            if (src.order() == ByteOrder.LITTLE_ENDIAN || from.size() == 1) {
                return src.order(ByteOrder.LITTLE_ENDIAN);
            }
            ByteBuffer out = ByteBuffer.allocate(count * to.size()).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < count; k++) {
                switch (from.size()) {
                    case 2: out.putShort(k * 2, src.getShort(k * 2)); break;
                    case 4: out.putInt(k * 4, src.getInt(k * 4)); break;
                    default: out.putLong(k * 8, src.getLong(k * 8)); break;
                }
            }
            return out;
        }
        ByteBuffer out = ByteBuffer.allocate(count * to.size()).order(ByteOrder.LITTLE_ENDIAN);
        if (from == Dtype.F32 && (to == Dtype.BF16 || to == Dtype.F16)) {
            // Straight from the fp32 bits: one rounding, NaN payloads kept as far as they fit.
            for (int k = 0; k < count; k++) {
                float f = src.getFloat(k * 4);
                out.putShort(k * 2, to == Dtype.BF16 ? HalfFloats.floatToBf16(f) : HalfFloats.floatToHalf(f));
            }
            return out;
        }
        for (int k = 0; k < count; k++) {
            double v;
            switch (from) {
                case F32: v = src.getFloat(k * 4); break;
                case F16: v = HalfFloats.halfToFloat(src.getShort(k * 2)); break;
                case F64: v = src.getDouble(k * 8); break;
                default: throw new IllegalStateException("cannot convert " + from + " to " + to);
            }
            switch (to) {
                case F32: out.putFloat(k * 4, (float) v); break;
                case F16: out.putShort(k * 2, HalfFloats.doubleToHalf(v)); break;
                case BF16: out.putShort(k * 2, HalfFloats.doubleToBf16(v)); break;
                case F64: out.putDouble(k * 8, v); break;
                default: throw new IllegalStateException("cannot convert " + from + " to " + to);
            }
        }
        return out;
    }

    void writeEntries(Path file, List<Entry> entries) throws IOException {
        List<Entry> ordered = new ArrayList<>(entries);
        Set<String> seen = new HashSet<>();
        for (Entry e : ordered) {
            if (!seen.add(e.name)) {
                throw new IllegalArgumentException("duplicate tensor name '" + e.name + "'");
            }
        }
        if (!keepInsertionOrder) {
            ordered.sort((a, b) -> {
                int c = b.dtype.compareTo(a.dtype);
                return c != 0 ? c : compareUtf8(a.name, b.name);
            });
        }
        byte[] header = headerBytes(ordered);
        AtomicFiles.writeChannel(file, ch -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            len.putLong(0, header.length);
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(header));
            for (Entry e : ordered) {
                e.writeTo(ch);
            }
        });
    }

    private byte[] headerBytes(List<Entry> ordered) throws IOException {
        ObjectNode root = SafeTensorsHeader.JSON.createObjectNode();
        Map<String, String> meta = new TreeMap<>(metadata);
        meta.putIfAbsent("format", "pt");
        ObjectNode m = root.putObject(SafeTensorsHeader.METADATA_KEY);
        meta.forEach(m::put);
        long offset = 0;
        for (Entry e : ordered) {
            ObjectNode t = root.putObject(e.name);
            t.put("dtype", e.dtype.name());
            ArrayNode shape = t.putArray("shape");
            Arrays.stream(e.shape).forEach(shape::add);
            long end = Math.addExact(offset, e.byteSize());
            t.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = SafeTensorsHeader.JSON.writeValueAsBytes(root);
        // Pad with spaces to a multiple of 8 so the data buffer is 8-byte aligned, as the
        // reference does.
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /** Rust orders Strings by UTF-8 bytes; Java's compareTo uses UTF-16 units. */
    static int compareUtf8(String a, String b) {
        return Arrays.compareUnsigned(
                a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
