package dev.tunelab.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Arrays in PyTorch's own memory made from Java buffers, and buffers returned at once. DJL's
 * arrays made from a direct buffer keep using it, and Java frees a direct buffer (or unmaps a
 * mapped file region, whose pages count as the process's resident memory) only when the garbage
 * collector finds it unreachable: a loader going through a checkpoint tensor by tensor would
 * otherwise hold gigabytes of dead buffers and mapped pages, and quantized codes would count
 * against the JVM's direct-memory limit (the heap size by default).
 */
public final class NativeArrays {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method cleaner = null;
        try { // sun.misc.Unsafe.invokeCleaner, public since Java 9 in the jdk.unsupported module
            Class<?> type = Class.forName("sun.misc.Unsafe");
            Field field = type.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            unsafe = field.get(null);
            cleaner = type.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // not available: buffers are freed by the garbage collector, later
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = cleaner;
    }

    private NativeArrays() {}

    /** A copy of {@code data} (a direct buffer in native byte order) in PyTorch's memory; the buffer is freed. */
    public static NDArray copyOf(NDManager manager, ByteBuffer data, Shape shape, DataType type) {
        NDArray owned;
        try (NDArray wrapped = manager.create(data, shape, type)) {
            owned = wrapped.duplicate();
        }
        free(data);
        return owned;
    }

    /**
     * A new array in PyTorch's CPU memory with unset values, and a buffer over that memory to fill
     * it: with {@link #memoryOf}, values are written once, straight to where the array keeps them
     * (no Java-side copy to free, no second copy while PyTorch clones it).
     */
    public static NDArray allocate(NDManager manager, Shape shape, DataType type) {
        if (!manager.getDevice().equals(ai.djl.Device.cpu())) {
            throw new IllegalArgumentException("arrays are filled in place on the CPU only, not on " + manager.getDevice());
        }
        return manager.create(shape, type);
    }

    /**
     * The memory of a contiguous CPU array (as {@link #allocate} makes) as a direct buffer in native
     * byte order: writing to it writes the array. Valid only while the array is open; never keep it
     * longer. (Of a non-contiguous array, DJL gives the memory of a contiguous copy.)
     *
     * @throws IllegalStateException if the engine gave a copy instead of the array's memory
     */
    public static ByteBuffer memoryOf(NDArray array) {
        long bytes = array.size() * array.getDataType().getNumOfBytes();
        if (!array.getDevice().equals(ai.djl.Device.cpu()) || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("only a CPU array of at most 2 GiB has one buffer over its memory: "
                    + array.getShape() + " " + array.getDataType() + " on " + array.getDevice());
        }
        ByteBuffer memory = array.toByteBuffer(true);
        if (!memory.isDirect() || memory.capacity() != bytes) {
            throw new IllegalStateException("the engine gave no view of the array's memory (" + memory.capacity() + " of "
                    + bytes + " bytes, direct " + memory.isDirect() + ")");
        }
        return memory.order(java.nio.ByteOrder.nativeOrder());
    }

    /**
     * Frees a direct buffer, or unmaps a mapped one, now; it must not be used (or wrapped by an
     * array) afterwards. Slices and duplicates cannot be freed and are left to the collector.
     */
    public static void free(ByteBuffer buffer) {
        if (INVOKE_CLEANER == null || !buffer.isDirect()) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buffer);
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            // a slice or duplicate: leave it to the garbage collector
        }
    }
}
