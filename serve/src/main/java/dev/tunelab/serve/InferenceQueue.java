package dev.tunelab.serve;

import dev.tunelab.LanguageModel;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.Generator;
import dev.tunelab.train.ModelChatTemplate;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs requests one at a time on one worker thread, in arrival order, up to {@code capacity}
 * waiting. One at a time because the served models share one base whose adapters are switched
 * per request, and because the Java decoder already uses every core for one sequence; a full
 * queue answers 429 rather than letting waits grow without bound.
 */
final class InferenceQueue implements AutoCloseable {
    private final ServedModels models;
    private final ModelChatTemplate chatTemplate; // null when the model has none
    private final ThreadPoolExecutor worker;
    private final int capacity;

    InferenceQueue(ServedModels models, ModelChatTemplate chatTemplate, int capacity) {
        this.models = models;
        this.chatTemplate = chatTemplate;
        this.capacity = capacity;
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(capacity), r -> {
            Thread t = new Thread(r, "tunelab-serve-worker");
            t.setDaemon(true);
            return t;
        });
    }

    /** Queues {@code job}; its events arrive on {@link Job#events}. */
    void submit(Job job) {
        try {
            worker.execute(() -> run(job));
        } catch (RejectedExecutionException e) {
            throw new ApiError(429, "server_error", null, "queue_full",
                    "the server is busy: " + capacity + " requests are already waiting; retry later");
        }
    }

    /** Requests waiting (not counting the one running). */
    int waiting() {
        return worker.getQueue().size();
    }

    private void run(Job job) {
        job.startedNanos = System.nanoTime();
        if (job.cancelled()) { // the client left while the request waited
            job.events.add(new Generation(job.promptIds, new long[0], "", "cancelled"));
            return;
        }
        try {
            models.activate(job.model);
            LanguageModel lm = models.languageModel();
            Generator generator = job.request.chat() ? lm.chatGenerator(chatTemplate) : lm.generator();
            Generation g = generator.generate(List.of(job.promptIds), job.config, (row, token) -> {
                if (job.firstTokenNanos == 0) {
                    job.firstTokenNanos = System.nanoTime();
                }
                job.events.add(token);
                return !job.cancelled();
            }).get(0);
            job.events.add(g);
        } catch (RuntimeException | Error e) {
            job.events.add(e);
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
