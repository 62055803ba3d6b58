package dev.tunelab.io;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * How the C heap under PyTorch's CPU tensors gives memory back, set per process as models are made.
 *
 * <p>glibc serves an allocation below its mmap threshold from a heap arena and keeps freed blocks
 * there for reuse; the threshold starts at 128 KiB and rises to the size of every larger block
 * freed, but only up to 32 MiB (mallopt(3), M_MMAP_THRESHOLD), and free memory at the top of the
 * heap is returned above the trim threshold (M_TRIM_THRESHOLD). Every larger block is a mapping of
 * its own: mapped, zero-filled by the kernel page by page and unmapped again each time. Chosen by the
 * size of the largest model made so far:
 *
 * <ul>
 *   <li><b>Below {@link #KEEP_MODEL_PARAMETERS}: glibc's defaults.</b> Small models' arrays stay under
 *       32 MiB and run as fast either way; and a long-lived process (a notebook's kernel training
 *       dozens of small models, with threads that each get an arena) must be able to give memory
 *       back: with the keeping setting below, notebook 07's kernel grew to 19 GB and was killed.
 *   <li><b>From {@link #KEEP_MODEL_PARAMETERS} to {@link #LARGE_MODEL_PARAMETERS}: keep freed
 *       memory.</b> Both thresholds are set to
 *       1 GiB, so tensors come from the heap and stay there for the next step. At the SmolLM2-135M
 *       shape a training step's logits (seq x 49,152 floats, 50 MiB at 256 tokens) and its
 *       embedding-sized optimizer temporaries are all above 32 MiB, and the step page-faulted
 *       2.3 million times in 10 LoRA steps: with both thresholds at 1 GiB the LoRA step at 256
 *       tokens took 1.4-1.6 s against 2.2-2.9 s, peak RSS 2.9 against 2.5 GiB (BENCHMARKS.md, Real
 *       sizes).
 *   <li><b>From {@link #LARGE_MODEL_PARAMETERS} on: return freed memory.</b> A fixed threshold of
 *       1 MiB makes every larger block a mapping returned to the system when its tensor is freed,
 *       since there the gaps between live blocks in the arenas are what limits: a QLoRA step at the
 *       Llama-3.2-1B shape peaked at 4.02 GiB (load 1.51 GiB) against 5.51 (1.68) with glibc's
 *       dynamic threshold. A large model made after small ones switches the process to this.
 * </ul>
 *
 * <p>On Linux with glibc only. Left alone when {@code MALLOC_MMAP_THRESHOLD_} is set in the
 * environment (glibc then uses that value) or when the system property {@code tunelab.mmapThreshold}
 * says {@code glibc}; the property can also give one mmap threshold in bytes for every model.
 */
public final class NativeHeap {
    /** Models from this size on get the returning setting (Llama-3.2-1B has 1.24 billion parameters). */
    public static final long LARGE_MODEL_PARAMETERS = 1_000_000_000L;
    /** Models from this size on (SmolLM2-135M has 135 million) and below the large ones keep freed memory. */
    public static final long KEEP_MODEL_PARAMETERS = 100_000_000L;
    /** M_TRIM_THRESHOLD and M_MMAP_THRESHOLD of glibc's malloc.h. */
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;
    private static final int KEEP_THRESHOLD = 1 << 30;
    /** glibc before 2.35 refuses an mmap threshold above HEAP_MAX_SIZE / 2 (32 MiB on 64-bit). */
    private static final int KEEP_THRESHOLD_OLD_GLIBC = 32 << 20;
    private static final int RETURN_THRESHOLD = 1 << 20;
    /** glibc's DEFAULT_TRIM_THRESHOLD, restored when a large model follows small ones. */
    private static final int DEFAULT_TRIM_THRESHOLD = 128 << 10;

    private enum Mode { UNSET, KEEP, RETURN, FIXED }

    private static Mode mode = Mode.UNSET;
    private static String state;

    private NativeHeap() {}

    /** glibc's mallopt, found by name in the C library. */
    private interface LibC extends Library {
        int mallopt(int param, int value);
    }

    /**
     * Called as a model of {@code parameters} parameters is made: the first model of 100 million
     * parameters or more sets the heap's mode, and the first large one switches a keeping process to
     * returning (never back); returns what the process runs with.
     */
    public static synchronized String forModel(long parameters) {
        if (mode == Mode.FIXED || mode == Mode.RETURN) return state;
        boolean large = parameters >= LARGE_MODEL_PARAMETERS;
        if (mode == Mode.KEEP && !large) return state;
        String property = System.getProperty("tunelab.mmapThreshold");
        boolean configured = System.getenv("MALLOC_MMAP_THRESHOLD_") != null || property != null;
        if (parameters < KEEP_MODEL_PARAMETERS && !configured) return state(); // small: glibc's dynamic threshold
        if (System.getenv("MALLOC_MMAP_THRESHOLD_") != null) {
            fixed("MALLOC_MMAP_THRESHOLD_=" + System.getenv("MALLOC_MMAP_THRESHOLD_"));
        } else if ("glibc".equals(property)) {
            fixed("glibc default (dynamic)");
        } else if (!System.getProperty("os.name", "").startsWith("Linux")) {
            fixed("not Linux: allocator default");
        } else {
            try {
                LibC c = Native.load("c", LibC.class);
                if (property != null) {
                    int threshold = Integer.parseInt(property);
                    fixed(accepted(c, M_MMAP_THRESHOLD, threshold) ? "mmap threshold " + threshold + " bytes"
                            : "mallopt refused the mmap threshold: allocator default");
                } else if (large) {
                    if (mode == Mode.KEEP) {
                        accepted(c, M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD);
                    }
                    mode = Mode.RETURN;
                    state = accepted(c, M_MMAP_THRESHOLD, RETURN_THRESHOLD) ? "returns freed memory: mmap threshold "
                            + RETURN_THRESHOLD + " bytes" : "mallopt refused the mmap threshold: allocator default";
                } else {
                    mode = Mode.KEEP;
                    int threshold = KEEP_THRESHOLD;
                    if (!accepted(c, M_MMAP_THRESHOLD, threshold)) {
                        threshold = KEEP_THRESHOLD_OLD_GLIBC;
                        if (!accepted(c, M_MMAP_THRESHOLD, threshold)) {
                            state = "mallopt refused the mmap threshold: allocator default";
                            return state;
                        }
                    }
                    state = accepted(c, M_TRIM_THRESHOLD, KEEP_THRESHOLD)
                            ? "keeps freed memory: mmap and trim thresholds " + threshold + " / " + KEEP_THRESHOLD + " bytes"
                            : "keeps freed memory: mmap threshold " + threshold + " bytes";
                }
            } catch (UnsatisfiedLinkError | RuntimeException e) { // musl or another C library without mallopt
                fixed("no mallopt in the C library: allocator default");
            }
        }
        return state;
    }

    /** mallopt returns 1 on success, 0 on error (mallopt(3)). */
    private static boolean accepted(LibC c, int param, int value) {
        return c.mallopt(param, value) == 1;
    }

    private static void fixed(String s) {
        mode = Mode.FIXED;
        state = s;
    }

    /** What this process runs with, for run records. */
    public static synchronized String state() {
        return state != null ? state : "glibc default (dynamic): no model of " + KEEP_MODEL_PARAMETERS + "+ parameters yet";
    }
}
