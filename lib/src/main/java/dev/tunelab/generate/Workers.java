package dev.tunelab.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Splits a range of independent work items (matrix panels, attention heads) over a few threads:
 * the caller takes the first chunk, pooled daemon threads the others. Each item is computed by
 * exactly one thread with the same code, so results do not depend on the number of threads.
 */
final class Workers {
    /** Shared by every decoder; threads are made on demand and end after a minute without work. */
    private static final ExecutorService POOL = Executors.newCachedThreadPool(task -> {
        Thread t = new Thread(task, "tunelab-decoder");
        t.setDaemon(true);
        return t;
    });

    interface RangeTask {
        void run(int from, int to);
    }

    private final int threads;

    Workers(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
    }

    int threads() {
        return threads;
    }

    /** Runs {@code task} over [0, n) in contiguous chunks, on several threads when {@code parallel}. */
    void forRange(int n, boolean parallel, RangeTask task) {
        int chunks = parallel ? Math.min(threads, n) : 1;
        if (chunks <= 1) {
            task.run(0, n);
            return;
        }
        List<Future<?>> others = new ArrayList<>(chunks - 1);
        for (int c = 1; c < chunks; c++) {
            int from = (int) ((long) n * c / chunks);
            int to = (int) ((long) n * (c + 1) / chunks);
            others.add(POOL.submit(() -> task.run(from, to)));
        }
        task.run(0, (int) ((long) n / chunks));
        for (Future<?> f : others) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while decoding", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
    }
}
