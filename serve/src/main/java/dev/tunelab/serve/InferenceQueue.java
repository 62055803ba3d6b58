package dev.tunelab.serve;

import dev.tunelab.LanguageModel;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.generate.Generator;
import dev.tunelab.train.ModelChatTemplate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs requests on one worker thread, in arrival order, up to {@code capacity} waiting; a full
 * queue answers 429 rather than letting waits grow without bound. One worker because the served
 * models share one base whose adapters are switched per generate call, and the Java decoder
 * already uses every core.
 *
 * <p>Batching: the worker takes the oldest waiting request and, for up to {@code batchWait}, gathers
 * later ones that can share its generate call, up to {@code maxBatch} in all. They share a call when
 * they ask for the same served model (one adapter state per call) and the same endpoint (chat stops
 * at the chat template's end tokens, completions at the tokenizer's), and when the batch's longest
 * prompt plus its largest max_tokens fits the context (the rows are left-padded to one length).
 * Seed, temperature, top_p, max_tokens and stop strings may differ: {@link Generator#generateEach}
 * gives each row its own random stream and limits, so a request gets exactly the tokens it gets
 * alone. The batch is static: a request arriving while a batch runs waits for the next one.
 * {@code maxBatch} 1 turns batching off.
 */
final class InferenceQueue implements AutoCloseable {
    private final ServedModels models;
    private final ModelChatTemplate chatTemplate; // null when the model has none
    private final int capacity;
    private final int maxBatch;
    private final long batchWaitNanos;
    private final Consumer<List<String>> onBatch;
    private final int context;
    private final Deque<Job> waiting = new ArrayDeque<>(); // guarded by this
    private boolean closed; // guarded by this
    private final Thread worker;

    /** @param onBatch hears the request ids of every batch on the worker thread just before it runs */
    InferenceQueue(ServedModels models, ModelChatTemplate chatTemplate, int capacity, int maxBatch, long batchWaitNanos,
            Consumer<List<String>> onBatch) {
        this.models = models;
        this.chatTemplate = chatTemplate;
        this.capacity = capacity;
        this.maxBatch = maxBatch;
        this.batchWaitNanos = batchWaitNanos;
        this.onBatch = onBatch;
        this.context = models.languageModel().model().config().maxPositionEmbeddings();
        this.worker = new Thread(this::work, "tunelab-serve-worker");
        worker.setDaemon(true);
        worker.start();
    }

    /** Queues {@code job}; its events arrive on {@link Job#events}. */
    synchronized void submit(Job job) {
        if (closed) {
            throw new ApiError(503, "server_error", null, null, "the server is shutting down");
        }
        if (waiting.size() >= capacity) {
            throw new ApiError(429, "server_error", null, "queue_full",
                    "the server is busy: " + capacity + " requests are already waiting; retry later");
        }
        waiting.addLast(job);
        notifyAll();
    }

    /** Requests waiting (not counting those running). */
    synchronized int waiting() {
        return waiting.size();
    }

    private void work() {
        try {
            while (true) {
                run(nextBatch());
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** Waits for a request, then up to batchWait for others that can join it; takes them off the queue. */
    private synchronized List<Job> nextBatch() throws InterruptedException {
        while (waiting.isEmpty()) {
            wait();
        }
        long deadline = System.nanoTime() + batchWaitNanos;
        List<Job> batch = gather();
        for (long left; batch.size() < maxBatch && (left = deadline - System.nanoTime()) > 0; batch = gather()) {
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        waiting.removeAll(batch);
        return batch;
    }

    /** The oldest request and the later ones that can share its generate call, in arrival order. */
    private List<Job> gather() {
        List<Job> batch = new ArrayList<>();
        Job first = waiting.peekFirst();
        int longestPrompt = 0;
        int mostTokens = 0;
        for (Job j : waiting) {
            if (batch.size() == maxBatch) {
                break;
            }
            int prompt = Math.max(longestPrompt, j.promptIds.length);
            int tokens = Math.max(mostTokens, j.config.maxNewTokens());
            if (j.model.equals(first.model) && j.request.chat() == first.request.chat() && prompt + tokens <= context) {
                batch.add(j);
                longestPrompt = prompt;
                mostTokens = tokens;
            }
        }
        return batch;
    }

    private void run(List<Job> batch) {
        long started = System.nanoTime();
        List<Job> rows = new ArrayList<>();
        for (Job job : batch) {
            job.startedNanos = started;
            if (job.cancelled()) { // the client left while the request waited
                job.events.add(new Generation(job.promptIds, new long[0], "", "cancelled"));
            } else {
                rows.add(job);
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        try {
            onBatch.accept(rows.stream().map(j -> j.id).toList());
            models.activate(rows.get(0).model);
            LanguageModel lm = models.languageModel();
            Generator generator = rows.get(0).request.chat() ? lm.chatGenerator(chatTemplate) : lm.generator();
            List<long[]> prompts = rows.stream().map(j -> j.promptIds).toList();
            List<GenerationConfig> configs = rows.stream().map(j -> j.config).toList();
            generator.generateEach(prompts, configs, new Generator.TokenListener() {
                @Override
                public boolean onToken(int row, long token) {
                    Job job = rows.get(row);
                    if (job.firstTokenNanos == 0) {
                        job.firstTokenNanos = System.nanoTime();
                    }
                    job.events.add(token);
                    return !job.cancelled(); // a client that left stops its own row only
                }

                @Override
                public void onRowFinished(int row, Generation generation) {
                    rows.get(row).events.add(generation); // answered now, not when the batch's last row ends
                }
            });
        } catch (RuntimeException | Error e) {
            for (Job job : rows) { // a job that already has its generation ignores what follows
                job.events.add(e);
            }
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            for (Job job : waiting) { // their HTTP threads are waiting for an answer
                job.events.add(new ApiError(503, "server_error", null, null, "the server is shutting down"));
            }
            waiting.clear();
        }
        worker.interrupt();
    }
}
