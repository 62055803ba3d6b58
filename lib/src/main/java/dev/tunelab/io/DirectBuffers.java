package dev.tunelab.io;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Returns a direct buffer's native memory at once. Java frees a direct buffer only when the
 * garbage collector finds it unreachable, and a loader that converts a checkpoint tensor by tensor
 * through direct buffers can otherwise hold gigabytes of dead buffers (up to the heap size, when
 * the JVM finally forces a collection) while the model loads.
 */
final class DirectBuffers {
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

    private DirectBuffers() {}

    /** Frees {@code buffer} now; it must not be used (or wrapped by an array) afterwards. */
    static void free(ByteBuffer buffer) {
        if (INVOKE_CLEANER == null || !buffer.isDirect()) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buffer);
        } catch (ReflectiveOperationException e) {
            // leave it to the garbage collector
        }
    }
}
