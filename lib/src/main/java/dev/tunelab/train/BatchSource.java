package dev.tunelab.train;

/**
 * Where training batches come from. Batch {@code i} must be a pure function of {@code i} (and the
 * source's seed), so a run resumed at step k sees exactly the batches the uninterrupted run saw.
 */
public interface BatchSource {
    Batch batch(long index);

    /** A short hash of the data and its settings, recorded with every run. */
    String fingerprint();
}
