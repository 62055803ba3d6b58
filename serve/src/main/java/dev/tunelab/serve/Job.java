package dev.tunelab.serve;

import dev.tunelab.generate.GenerationConfig;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One request on its way through {@link InferenceQueue}: what to generate, and the events the
 * worker sends back to the HTTP thread (each new token as a Long, then the final
 * {@link dev.tunelab.generate.Generation}, or the Throwable that ended it). The HTTP thread sets
 * {@link #cancel()} when the client goes away; the worker then stops after the next token.
 */
final class Job {
    final String id;
    final String requested;
    final String model;
    final CompletionRequest request;
    final long[] promptIds;
    final GenerationConfig config;
    final long arrivedNanos;
    final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    volatile long startedNanos;
    volatile long firstTokenNanos;
    private volatile boolean cancelled;

    Job(String id, String requested, String model, CompletionRequest request, long[] promptIds, GenerationConfig config,
            long arrivedNanos) {
        this.id = id;
        this.requested = requested;
        this.model = model;
        this.request = request;
        this.promptIds = promptIds;
        this.config = config;
        this.arrivedNanos = arrivedNanos;
    }

    void cancel() {
        cancelled = true;
    }

    boolean cancelled() {
        return cancelled;
    }
}
