package dev.tunelab.io;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * How the C heap under PyTorch's CPU tensors gives memory back. glibc serves an allocation below
 * its mmap threshold from a heap arena and keeps freed blocks there for reuse; the threshold starts
 * at 128 KiB and rises to the size of every larger block freed, up to 32 MiB (mallopt(3),
 * M_MMAP_THRESHOLD). After a few training steps every activation and dequantized weight comes from
 * the arenas, and the gaps between live blocks stay resident. A fixed threshold of 1 MiB makes every
 * larger block a mapping of its own, returned to the system when its tensor is freed. Measured with
 * glibc's environment variable set to the same value (MALLOC_MMAP_THRESHOLD_=1048576), a QLoRA step
 * at the Llama-3.2-1B shape peaked at 4.02 GiB (load 1.51 GiB) against 5.51 (1.68) without; that
 * run also had the quantized lookup's int32 index, since adopted (BENCHMARKS.md, Real sizes).
 *
 * <p>The cost is time: every larger block is then mapped, zero-filled by the kernel and unmapped
 * again, and small models allocate such blocks (logits, attention scores) many times a step. A
 * reward-model step on tinystories-base took 1.1 s with the fixed threshold against 0.7 s without
 * (10 steps, one thread), and two notebooks side by side slowed each other further through the
 * page faults. So the threshold is fixed only when a model of at least
 * {@link #LARGE_MODEL_PARAMETERS} parameters is made, where memory is what limits; on Linux with
 * glibc only. It is left alone when {@code MALLOC_MMAP_THRESHOLD_} is set in the environment (glibc
 * then uses that value) or when the system property {@code tunelab.mmapThreshold} says
 * {@code glibc}; the property can also give a threshold in bytes for every model.
 */
public final class NativeHeap {
    /** Models from this size on get the fixed threshold (Llama-3.2-1B has 1.24 billion parameters). */
    public static final long LARGE_MODEL_PARAMETERS = 1_000_000_000L;
    /** M_MMAP_THRESHOLD of glibc's malloc.h. */
    private static final int M_MMAP_THRESHOLD = -3;
    private static final int DEFAULT_THRESHOLD = 1 << 20;
    private static String state;

    private NativeHeap() {}

    /** glibc's mallopt, found by name in the C library. */
    private interface LibC extends Library {
        int mallopt(int param, int value);
    }

    /**
     * Called as a model of {@code parameters} parameters is made: fixes the threshold (once per
     * process) if the model is large or the property asks for a threshold; returns what the process
     * runs with.
     */
    public static synchronized String forModel(long parameters) {
        if (state != null) return state;
        String property = System.getProperty("tunelab.mmapThreshold");
        if (System.getenv("MALLOC_MMAP_THRESHOLD_") != null) {
            state = "MALLOC_MMAP_THRESHOLD_=" + System.getenv("MALLOC_MMAP_THRESHOLD_");
        } else if ("glibc".equals(property)) {
            state = "glibc default (dynamic)";
        } else if (!System.getProperty("os.name", "").startsWith("Linux")) {
            state = "not Linux: allocator default";
        } else if (property != null || parameters >= LARGE_MODEL_PARAMETERS) {
            int threshold = property == null ? DEFAULT_THRESHOLD : Integer.parseInt(property);
            try {
                LibC c = Native.load("c", LibC.class);
                // mallopt returns 1 on success, 0 on error (mallopt(3))
                state = c.mallopt(M_MMAP_THRESHOLD, threshold) == 1 ? "mmap threshold " + threshold + " bytes"
                        : "mallopt refused the mmap threshold: allocator default";
            } catch (UnsatisfiedLinkError | RuntimeException e) { // musl or another C library without mallopt
                state = "no mallopt in the C library: allocator default";
            }
        }
        return state();
    }

    /** What this process runs with, for run records. */
    public static synchronized String state() {
        return state != null ? state : "glibc default (dynamic): no model of " + LARGE_MODEL_PARAMETERS + "+ parameters yet";
    }
}
