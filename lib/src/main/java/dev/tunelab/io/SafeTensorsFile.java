package dev.tunelab.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An open safetensors file whose header has been validated; tensors are read on demand through
 * memory mapping, one tensor's bytes at a time, so files larger than 2 GiB work and loading one
 * tensor never touches the others.
 *
 * <pre>{@code
 * try (SafeTensorsFile f = SafeTensors.open(Path.of("model.safetensors"))) {
 *     for (String name : f.names()) System.out.println(f.info(name));
 *     NDArray w = f.load(manager, "lm_head.weight");              // BF16 arrives as FLOAT32
 *     NDArray h = f.load(manager, "lm_head.weight", DataType.FLOAT16);
 *     float[] b = f.floats("model.norm.weight");
 * }
 * }</pre>
 *
 * <p>Float tensors load as: F32 and BF16 and F64 to FLOAT32, F16 to FLOAT16 (see {@link
 * Dtype#defaultTarget()}); any float tensor may be asked for as FLOAT32, FLOAT16 or FLOAT64, with
 * round-to-nearest-even on narrowing. A BFLOAT16 array is never created: DJL's PyTorch engine
 * aborts the JVM on them. Integer and BOOL tensors load as their own type. Arrays are copies in
 * native memory owned by the given manager, independent of this file (closing it does not
 * invalidate them).
 *
 * <p>Not thread-safe for {@link #close()} racing reads; concurrent reads are fine.
 */
public final class SafeTensorsFile implements AutoCloseable {
    private final Path path;
    private final String label;
    private final FileChannel channel;
    private final SafeTensorsHeader header;

    private SafeTensorsFile(Path path, FileChannel channel, SafeTensorsHeader header) {
        this.path = path;
        this.label = path.toString();
        this.channel = channel;
        this.header = header;
    }

    /** Opens and validates a file; prefer {@link SafeTensors#open(Path)}. */
    static SafeTensorsFile open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            SafeTensorsHeader h = SafeTensorsHeader.read(ch, path.toString());
            return new SafeTensorsFile(path, ch, h);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** Tensor names in header order (for files written by safetensors: the data order). */
    public List<String> names() {
        return new ArrayList<>(header.tensors.keySet());
    }

    /** Whether the file holds a tensor of this name. */
    public boolean contains(String name) {
        return header.tensors.containsKey(name);
    }

    /** Number of tensors. */
    public int size() {
        return header.tensors.size();
    }

    /**
     * The header entry of a tensor.
     *
     * @throws IllegalArgumentException if there is no such tensor (the message lists some names)
     */
    public SafeTensorsInfo info(String name) {
        SafeTensorsInfo i = header.tensors.get(name);
        if (i == null) {
            List<String> some = names().subList(0, Math.min(8, size()));
            throw new IllegalArgumentException(
                    label + ": no tensor '" + name + "'; the file has " + size() + " tensors"
                            + (some.isEmpty() ? "" : ", e.g. " + some));
        }
        return i;
    }

    /** All header entries in header order. */
    public List<SafeTensorsInfo> infos() {
        return new ArrayList<>(header.tensors.values());
    }

    /** The {@code __metadata__} string map (empty if the file has none). */
    public Map<String, String> metadata() {
        return header.metadata;
    }

    /** Absolute file offset where the data buffer starts (8 + header length). */
    public long dataStart() {
        return header.dataStart;
    }

    /**
     * A read-only little-endian view of a tensor's stored bytes, memory mapped.
     *
     * @throws SafeTensorsFormatException if the tensor is larger than a Java buffer (2 GiB)
     */
    public ByteBuffer raw(String name) throws IOException {
        return map(info(name));
    }

    /** Loads a tensor as its default DJL type (see class doc). */
    public NDArray load(NDManager manager, String name) throws IOException {
        SafeTensorsInfo i = info(name);
        if (!i.dtype().loadable()) {
            throw new SafeTensorsFormatException(
                    label + ": tensor '" + name + "': dtype " + i.dtype()
                            + " cannot be loaded as a DJL array");
        }
        return load(manager, name, i.dtype().defaultTarget());
    }

    /**
     * Loads a tensor converting to {@code target}: FLOAT32, FLOAT16 or FLOAT64 for float tensors;
     * integer and BOOL tensors only as their own type (convert afterwards with {@code toType}).
     */
    public NDArray load(NDManager manager, String name, DataType target) throws IOException {
        SafeTensorsInfo i = info(name);
        Dtype src = i.dtype();
        if (target == DataType.BFLOAT16) {
            throw new SafeTensorsFormatException(
                    label + ": tensor '" + name + "': BFLOAT16 arrays are not supported (DJL's"
                            + " PyTorch engine aborts on them); load as FLOAT32 or FLOAT16");
        }
        boolean ok = src.isFloat()
                ? target == DataType.FLOAT32 || target == DataType.FLOAT16 || target == DataType.FLOAT64
                : src.loadable() && target == src.defaultTarget();
        if (!ok) {
            throw new SafeTensorsFormatException(
                    label + ": tensor '" + name + "': cannot load dtype " + src + " as " + target
                            + (src.isFloat() ? "; float tensors load as FLOAT32, FLOAT16 or FLOAT64"
                            : src.loadable() ? "; it loads as " + src.defaultTarget()
                                    + " (use toType after loading)"
                            : "; this dtype has no DJL equivalent"));
        }
        return load(manager, i, target, CHUNK_BYTES, MAP_BYTES);
    }

    /** Largest piece of a tensor converted at once: a Java buffer holds at most 2 GiB. */
    static final long CHUNK_BYTES = 1L << 30;

    /**
     * Converts the tensor in pieces of whole rows of at most {@code chunkBytes} (in and out), so a
     * tensor over 2 GiB (Qwen2.5-7B's 152,064 x 3,584 embedding in fp32) loads: the pieces are
     * joined by PyTorch, whose tensors have no such limit.
     */
    NDArray load(NDManager manager, SafeTensorsInfo i, DataType target, long chunkBytes, int mapBytes) throws IOException {
        long count = i.elementCount();
        int bytesPerValue = Math.max(i.dtype().size(), target.getNumOfBytes());
        if (count * bytesPerValue <= chunkBytes) {
            NDArray array = rows(manager, i, target, 0, count, mapBytes);
            array.setName(i.name());
            return array;
        }
        long[] shape = i.shape();
        long rowValues = count / shape[0];
        long rowsPerChunk = chunkBytes / (rowValues * bytesPerValue);
        if (shape.length < 2 || rowsPerChunk == 0) {
            throw new SafeTensorsFormatException(label + ": tensor '" + i.name() + "' " + java.util.Arrays.toString(shape)
                    + " has rows too large to load in pieces of " + chunkBytes + " bytes");
        }
        NDList pieces = new NDList();
        try (NDManager scratch = manager.newSubManager()) {
            for (long row = 0; row < shape[0]; row += rowsPerChunk) {
                long n = Math.min(rowsPerChunk, shape[0] - row);
                pieces.add(rows(scratch, i, target, row * rowValues, n * rowValues, mapBytes).reshape(withRows(shape, n)));
            }
            NDArray joined = NDArrays.concat(pieces, 0);
            joined.attach(manager);
            joined.setName(i.name());
            return joined;
        }
    }

    private static Shape withRows(long[] shape, long rows) {
        long[] s = shape.clone();
        s[0] = rows;
        return new Shape(s);
    }

    /** Bytes of a tensor mapped at once while it is converted: mapped pages count as resident until unmapped. */
    static final int MAP_BYTES = 16 << 20;

    /** Values [first, first + count) of a tensor, flattened, converted to {@code target}, mapping {@code mapBytes} at a time. */
    private NDArray rows(NDManager manager, SafeTensorsInfo i, DataType target, long first, long count, int mapBytes)
            throws IOException {
        int srcSize = i.dtype().size();
        int outSize = target.getNumOfBytes();
        Shape shape = first == 0 && count == i.elementCount() ? i.djlShape() : new Shape(count);
        // Never hand DJL the mapping itself: PyTorch could write into a read-only mapping and crash
        // the JVM. On the CPU the values are converted straight into the array's own memory, the
        // file mapped and unmapped a piece at a time, so loading a tensor costs its array and one
        // piece of the file, not the whole file region and a second copy besides.
        if (count == 0) {
            return manager.create(shape, target);
        }
        boolean cpu = manager.getDevice().equals(ai.djl.Device.cpu());
        NDArray array = cpu ? NativeArrays.allocate(manager, shape, target) : null;
        ByteBuffer out = cpu ? NativeArrays.memoryOf(array)
                : ByteBuffer.allocateDirect(Math.toIntExact(count * outSize)).order(ByteOrder.nativeOrder());
        long perPiece = Math.max(1, mapBytes / srcSize);
        for (long done = 0; done < count; done += perPiece) {
            int n = (int) Math.min(perPiece, count - done);
            ByteBuffer in = map(i, (first + done) * srcSize, (long) n * srcSize);
            ByteBuffer piece = out.slice(Math.toIntExact(done * outSize), n * outSize).order(out.order());
            convert(in, i.dtype(), piece, target, n);
            NativeArrays.free(in); // unmap: read pages would count as resident memory until a collection
        }
        if (cpu) {
            return array;
        }
        out.rewind();
        return NativeArrays.copyOf(manager, out, shape, target);
    }

    /** Loads every tensor with its default type, in header order. */
    public Map<String, NDArray> loadAll(NDManager manager) throws IOException {
        Map<String, NDArray> out = new LinkedHashMap<>();
        try {
            for (String n : header.tensors.keySet()) {
                if (!header.tensors.get(n).dtype().loadable()) {
                    throw new SafeTensorsFormatException(
                            label + ": tensor '" + n + "': dtype " + header.tensors.get(n).dtype()
                                    + " cannot be loaded as a DJL array");
                }
                out.put(n, load(manager, n));
            }
        } catch (IOException | RuntimeException e) {
            out.values().forEach(NDArray::close);
            throw e;
        }
        return out;
    }

    /**
     * A tensor's values as floats, flattened in row-major order. Works for every numeric dtype
     * except 8-bit floats and complex (integers are converted, which may round above 2^24).
     */
    public float[] floats(String name) throws IOException {
        SafeTensorsInfo i = info(name);
        if (i.elementCount() > Integer.MAX_VALUE - 8) {
            throw new SafeTensorsFormatException(
                    label + ": tensor '" + name + "' has " + i.elementCount()
                            + " elements, too many for a Java array");
        }
        int n = (int) i.elementCount();
        ByteBuffer in = map(i);
        float[] out = new float[n];
        Dtype d = i.dtype();
        for (int k = 0; k < n; k++) {
            switch (d) {
                case F32: out[k] = in.getFloat(k * 4); break;
                case F16: out[k] = HalfFloats.halfToFloat(in.getShort(k * 2)); break;
                case BF16: out[k] = HalfFloats.bf16ToFloat(in.getShort(k * 2)); break;
                case F64: out[k] = (float) in.getDouble(k * 8); break;
                case I64: out[k] = in.getLong(k * 8); break;
                case U64: out[k] = unsignedLongToFloat(in.getLong(k * 8)); break;
                case I32: out[k] = in.getInt(k * 4); break;
                case U32: out[k] = in.getInt(k * 4) & 0xffffffffL; break;
                case I16: out[k] = in.getShort(k * 2); break;
                case U16: out[k] = in.getShort(k * 2) & 0xffff; break;
                case I8: out[k] = in.get(k); break;
                case U8: out[k] = in.get(k) & 0xff; break;
                case BOOL: out[k] = in.get(k) != 0 ? 1f : 0f; break;
                default:
                    throw new SafeTensorsFormatException(
                            label + ": tensor '" + name + "': dtype " + d
                                    + " cannot be read as floats");
            }
        }
        NativeArrays.free(in);
        return out;
    }

    /** Closes the file. Loaded arrays stay valid. */
    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "SafeTensorsFile[" + label + ", " + size() + " tensors]";
    }

    private ByteBuffer map(SafeTensorsInfo i) throws IOException {
        return map(i, 0, i.byteSize());
    }

    /** Bytes [offset, offset + length) of a tensor's data; one mapping per piece keeps each below 2 GiB. */
    private ByteBuffer map(SafeTensorsInfo i, long offset, long length) throws IOException {
        if (length > Integer.MAX_VALUE) {
            throw new SafeTensorsFormatException(
                    label + ": tensor '" + i.name() + "' is " + i.byteSize()
                            + " bytes, larger than one Java buffer (2 GiB); load it as an array (in pieces)");
        }
        return channel.map(FileChannel.MapMode.READ_ONLY, header.dataStart + i.begin() + offset, length)
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    private static float unsignedLongToFloat(long v) {
        return v >= 0 ? v : (float) (v >>> 1) * 2f;
    }

    /** Converts {@code count} little-endian elements of {@code src} into {@code out}'s order. */
    static void convert(ByteBuffer in, Dtype src, ByteBuffer out, DataType target, int count) {
        Dtype same = src.isFloat() ? Dtype.of(target) : src;
        if (same == src) {
            if (src == Dtype.BOOL) {
                // torch expects 0/1 in a bool tensor; any other byte would be undefined behaviour.
                for (int k = 0; k < count; k++) {
                    out.put(k, in.get(k) != 0 ? (byte) 1 : (byte) 0);
                }
            } else if (out.order() == ByteOrder.LITTLE_ENDIAN || src.size() == 1) {
                out.put(0, in, 0, count * src.size());
            } else {
                swapCopy(in, out, src.size(), count);
            }
            return;
        }
        for (int k = 0; k < count; k++) {
            double v;
            switch (src) {
                case F32: v = in.getFloat(k * 4); break;
                case F16: v = HalfFloats.halfToFloat(in.getShort(k * 2)); break;
                case BF16: v = HalfFloats.bf16ToFloat(in.getShort(k * 2)); break;
                case F64: v = in.getDouble(k * 8); break;
                default: throw new IllegalStateException("not a float dtype: " + src);
            }
            switch (target) {
                case FLOAT32: out.putFloat(k * 4, (float) v); break;
                case FLOAT16: out.putShort(k * 2, HalfFloats.doubleToHalf(v)); break;
                case FLOAT64: out.putDouble(k * 8, v); break;
                default: throw new IllegalStateException("not a float target: " + target);
            }
        }
    }

    private static void swapCopy(ByteBuffer in, ByteBuffer out, int size, int count) {
        for (int k = 0; k < count; k++) {
            switch (size) {
                case 2: out.putShort(k * 2, in.getShort(k * 2)); break;
                case 4: out.putInt(k * 4, in.getInt(k * 4)); break;
                case 8: out.putLong(k * 8, in.getLong(k * 8)); break;
                default: throw new IllegalStateException("element size " + size);
            }
        }
    }
}
