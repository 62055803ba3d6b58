package dev.tunelab.model;

import ai.djl.Device;

/** A model or training set-up would not fit in the memory available: raised before allocating it. */
public final class InsufficientMemoryException extends RuntimeException {
    private final MemoryEstimate estimate;
    private final long available;

    InsufficientMemoryException(MemoryEstimate estimate, long available, Device device) {
        super("not enough memory for " + estimate + ": " + MemoryEstimate.size(available) + " available on " + device
                + ". Use a smaller model, batch or sequence length (or gradient accumulation, LoRA, fp16 weights);"
                + " TUNELAB_MEMORY_CHECK=off skips this check.");
        this.estimate = estimate;
        this.available = available;
    }

    public MemoryEstimate estimate() {
        return estimate;
    }

    /** Bytes that were available when the check ran. */
    public long available() {
        return available;
    }
}
