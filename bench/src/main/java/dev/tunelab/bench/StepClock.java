package dev.tunelab.bench;

import dev.tunelab.train.Batch;
import dev.tunelab.train.BatchSource;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Wraps the batches handed to {@link dev.tunelab.train.Trainer#fit}, which asks for batch i at the
 * start of step i (one micro-batch per step): the moment of each request marks where a step
 * begins, so the real training loop is timed without changing it. At chosen steps it also reads
 * the process's resident memory, before the batch of that step is built.
 */
final class StepClock implements BatchSource {
    private final BatchSource batches;
    private final long[] startNanos;
    private final Set<Integer> memorySteps;
    private final Map<Integer, Long> residentBytes = new TreeMap<>();

    StepClock(BatchSource batches, int steps, Set<Integer> memorySteps) {
        this.batches = batches;
        this.startNanos = new long[steps];
        this.memorySteps = Set.copyOf(memorySteps);
    }

    @Override
    public Batch batch(long index) {
        if (index >= startNanos.length) {
            throw new IllegalStateException("the trainer asked for batch " + index + " of a " + startNanos.length
                    + "-step run: StepClock needs gradient accumulation 1");
        }
        int step = (int) index;
        if (memorySteps.contains(step)) {
            residentBytes.put(step, ProcessMemory.residentBytes());
        }
        startNanos[step] = System.nanoTime();
        return batches.batch(index);
    }

    @Override
    public String fingerprint() {
        return batches.fingerprint();
    }

    /** When step {@code step} (0-based) began, from System.nanoTime(). */
    long startNanos(int step) {
        if (startNanos[step] == 0) {
            throw new IllegalStateException("step " + step + " was never started");
        }
        return startNanos[step];
    }

    /** Resident bytes read at the start of each requested step, i.e. after that many steps completed. */
    Map<Integer, Long> residentBytes() {
        return new TreeMap<>(residentBytes);
    }

    int steps() {
        return startNanos.length;
    }

    @Override
    public String toString() {
        return "StepClock(" + Arrays.stream(startNanos).filter(t -> t != 0).count() + "/" + startNanos.length + " steps)";
    }
}
