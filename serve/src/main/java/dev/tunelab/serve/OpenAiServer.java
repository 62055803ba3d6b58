package dev.tunelab.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.io.TokenizerException;
import dev.tunelab.train.ChatTemplate;
import dev.tunelab.train.ChatTemplate.Message;
import dev.tunelab.train.ModelChatTemplate;
import io.javalin.Javalin;
import io.javalin.http.Context;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An OpenAI-compatible HTTP server (Javalin on Jetty) for {@link ServedModels}: {@code GET
 * /v1/models}, {@code POST /v1/completions} and {@code POST /v1/chat/completions} (the model's own
 * chat template), with {@code "stream": true} answered as server-sent events in OpenAI's form
 * ({@code data: {chunk}\n\n} ... {@code data: [DONE]\n\n}). The {@code model} field picks the base
 * model, an adapter, or an {@link AbTest}. Requests wait in an {@link InferenceQueue}, which runs
 * concurrent requests for one model in a batch; a bad request gets OpenAI's error JSON with a 4xx
 * status (429 when the queue is full), and a client that leaves mid-stream stops its own row of the
 * batch. A client of a non-streaming request that leaves is not noticed: Jetty 11 sees a closed
 * connection only when it reads or writes it, and nothing is read or written until the answer is
 * ready (checked: for seconds after the client closed, the connection's end point still reports
 * open and the request's input stream gives -1 as for a client still there). That generation runs
 * to its end, bounded by max_tokens, and the answer is dropped.
 *
 * <pre>{@code
 * try (var server = OpenAiServer.builder(ServedModels.of(lm, "story")).port(8000).start()) { ... }
 * }</pre>
 */
public final class OpenAiServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ERROR_SENT = "tunelab.errorSent";

    private final ServedModels models;
    private final AbTest abTest;
    private final ModelChatTemplate chatTemplate;
    private final String noChatTemplate;
    private final InferenceQueue queue;
    private final List<Consumer<Completed>> listeners;
    private final Javalin app;

    private OpenAiServer(Builder b) {
        this.models = b.models;
        this.abTest = b.abTest;
        this.listeners = new CopyOnWriteArrayList<>(b.listeners);
        ModelChatTemplate template = null;
        String problem = null;
        try {
            template = ChatTemplate.forModel(models.languageModel().tokenizer());
        } catch (TokenizerException e) {
            problem = e.getMessage();
        }
        this.chatTemplate = template;
        this.noChatTemplate = problem;
        if (abTest != null) {
            if (models.serves(abTest.name())) {
                throw new IllegalArgumentException("A/B test name '" + abTest.name() + "' is also a served model's name");
            }
            for (AbTest.Arm arm : abTest.arms()) {
                if (!models.serves(arm.model())) {
                    throw new IllegalArgumentException("A/B arm '" + arm.model() + "' is not a served model; served: " + models.names());
                }
            }
        }
        List<Consumer<List<String>>> batchListeners = List.copyOf(b.batchListeners);
        this.queue = new InferenceQueue(models, chatTemplate, b.queueCapacity, b.maxBatch, b.batchWait.toNanos(),
                ids -> batchListeners.forEach(l -> l.accept(ids)));
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.startupWatcherEnabled = false;
            config.http.disableCompression(); // streamed chunks must leave as they are written
        });
        app.get("/v1/models", this::listModels);
        app.post("/v1/completions", ctx -> complete(ctx, false));
        app.post("/v1/chat/completions", ctx -> complete(ctx, true));
        app.exception(ApiError.class, (e, ctx) -> sendError(ctx, e));
        app.exception(Exception.class, (e, ctx) -> sendError(ctx,
                new ApiError(500, "server_error", null, null, "internal error: " + e)));
        app.error(404, ctx -> { // Javalin's own "Endpoint ... not found" becomes OpenAI's error shape
            if (ctx.attribute(ERROR_SENT) == null) {
                sendError(ctx, new ApiError(404, "invalid_request_error", null, "unknown_url",
                        "unknown URL: " + ctx.method() + " " + ctx.path()));
            }
        });
        app.start(b.host, b.port);
    }

    public static Builder builder(ServedModels models) {
        return new Builder(models);
    }

    /** The port the server listens on (the chosen one when built with port 0). */
    public int port() {
        return app.port();
    }

    /** The base URL an OpenAI client takes, e.g. {@code http://127.0.0.1:8000/v1}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    /** Requests waiting for the worker (not counting those running). */
    int waiting() {
        return queue.waiting();
    }

    /** Calls {@code listener} on the request's HTTP thread after every request ends (completed, cut short or cancelled). */
    public void onCompleted(Consumer<Completed> listener) {
        listeners.add(listener);
    }

    @Override
    public void close() {
        app.stop();
        queue.close();
    }

    // ---- routes ----------------------------------------------------------------------------

    private void listModels(Context ctx) {
        List<Map<String, Object>> data = new ArrayList<>();
        List<String> names = new ArrayList<>(models.names());
        if (abTest != null) {
            names.add(abTest.name());
        }
        for (String name : names) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", name);
            m.put("object", "model");
            m.put("created", models.created());
            m.put("owned_by", "tunelab");
            data.add(m);
        }
        sendJson(ctx, 200, Map.of("object", "list", "data", data));
    }

    private void complete(Context ctx, boolean chat) throws IOException {
        long arrived = System.nanoTime();
        JsonNode body;
        try {
            body = JSON.readTree(ctx.body());
        } catch (JsonProcessingException e) {
            throw ApiError.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        }
        CompletionRequest request = CompletionRequest.parse(body, chat);
        String model = resolve(request.model());
        long[] promptIds = promptIds(request);
        int context = models.languageModel().model().config().maxPositionEmbeddings();
        int maxTokens = request.maxTokens() != null ? request.maxTokens() : context - promptIds.length;
        if (promptIds.length + maxTokens > context || maxTokens < 1) {
            throw new ApiError(400, "invalid_request_error", chat ? "messages" : "prompt", "context_length_exceeded",
                    "This model's maximum context length is " + context + " tokens. However, you requested "
                            + (promptIds.length + Math.max(maxTokens, 1)) + " tokens (" + promptIds.length + " in the "
                            + (chat ? "messages" : "prompt") + ", " + Math.max(maxTokens, 1)
                            + " for the completion). Please reduce the length of the prompt or max_tokens.");
        }
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        Job job = new Job(id, request.model(), model, request, promptIds, generationConfig(request, maxTokens), arrived);
        queue.submit(job);
        ctx.header("X-Request-Id", id);
        if (request.stream()) {
            stream(ctx, job);
        } else {
            Generation g = await(job, null);
            finish(job, g, g.text());
            sendJson(ctx, 200, response(job, g));
        }
    }

    /** The served model for a request's {@code model}: itself, or the arm an A/B test draws. */
    private String resolve(String requested) {
        if (abTest != null && abTest.name().equals(requested)) {
            return abTest.pick();
        }
        if (!models.serves(requested)) {
            List<String> names = new ArrayList<>(models.names());
            if (abTest != null) {
                names.add(abTest.name());
            }
            throw new ApiError(404, "invalid_request_error", "model", "model_not_found",
                    "The model '" + requested + "' does not exist; this server serves " + names);
        }
        return requested;
    }

    private long[] promptIds(CompletionRequest request) {
        if (!request.chat()) {
            if (request.prompt().isEmpty()) {
                throw ApiError.invalid("prompt", "'prompt' is empty");
            }
            return models.languageModel().tokenizer().encode(request.prompt());
        }
        if (chatTemplate == null) {
            throw ApiError.invalid("messages", "this model has no chat template (" + noChatTemplate + "); use /v1/completions");
        }
        try {
            return chatTemplate.promptIds(request.messages(), models.languageModel().tokenizer());
        } catch (RuntimeException e) { // the template raised (e.g. roles out of order)
            throw ApiError.invalid("messages", "the chat template cannot render these messages: " + e.getMessage());
        }
    }

    private static GenerationConfig generationConfig(CompletionRequest r, int maxTokens) {
        GenerationConfig c = r.temperature() == 0 ? GenerationConfig.greedy()
                : GenerationConfig.sample(r.temperature()).topP(r.topP())
                        .seed(r.seed() != null ? r.seed() : new java.util.SplittableRandom().nextLong());
        return c.maxNewTokens(maxTokens).stopStrings(r.stop().toArray(String[]::new));
    }

    // ---- streaming -------------------------------------------------------------------------

    private void stream(Context ctx, Job job) throws IOException {
        HttpServletResponse res = ctx.res();
        res.setStatus(200);
        res.setContentType("text/event-stream");
        res.setCharacterEncoding("UTF-8");
        res.setHeader("Cache-Control", "no-cache");
        OutputStream out = res.getOutputStream();
        TextStream text = new TextStream(ids -> models.languageModel().tokenizer().decode(ids, true), job.request.stop());
        try {
            if (job.request.chat()) { // OpenAI's first chat chunk announces the role
                send(out, chunk(job, Map.of("role", "assistant", "content", ""), null));
            }
            Generation g = await(job, token -> {
                String delta = text.add(token);
                if (!delta.isEmpty()) {
                    sendUnchecked(out, chunk(job, delta(job, delta), null));
                }
            });
            String rest = text.finish(g.text());
            finish(job, g, text.sent());
            if (!rest.isEmpty()) {
                send(out, chunk(job, delta(job, rest), null));
            }
            send(out, chunk(job, job.request.chat() ? Map.of() : "", finishReason(g)));
            if (job.request.includeUsage()) {
                Map<String, Object> usage = chunkBase(job);
                usage.put("choices", List.of());
                usage.put("usage", usage(job, g));
                send(out, usage);
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (ClientGone e) {
            job.cancel();
            Generation g = await(job, null); // the worker stops after its next token
            finish(job, g, text.sent());
        }
    }

    /** The client closed the connection: nothing more can be sent. */
    private static final class ClientGone extends RuntimeException {
        ClientGone(IOException cause) {
            super(cause);
        }
    }

    private static Object delta(Job job, String text) {
        return job.request.chat() ? Map.of("content", text) : text;
    }

    private Map<String, Object> chunk(Job job, Object deltaOrText, String finishReason) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put(job.request.chat() ? "delta" : "text", deltaOrText);
        choice.put("logprobs", null);
        choice.put("finish_reason", finishReason);
        Map<String, Object> m = chunkBase(job);
        m.put("choices", List.of(choice));
        return m;
    }

    private Map<String, Object> chunkBase(Job job) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", job.id);
        m.put("object", job.request.chat() ? "chat.completion.chunk" : "text_completion");
        m.put("created", System.currentTimeMillis() / 1000);
        m.put("model", job.model);
        return m;
    }

    private static void send(OutputStream out, Map<String, Object> chunk) {
        sendUnchecked(out, chunk);
    }

    private static void sendUnchecked(OutputStream out, Map<String, Object> chunk) {
        try {
            out.write(("data: " + JSON.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new ClientGone(e);
        }
    }

    // ---- waiting, answers, errors ----------------------------------------------------------

    /** Takes the job's events until its final generation, passing each token to {@code onToken} (may be null). */
    private static Generation await(Job job, java.util.function.LongConsumer onToken) {
        while (true) {
            Object event;
            try {
                event = job.events.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                job.cancel();
                throw new ApiError(503, "server_error", null, null, "the server is shutting down");
            }
            if (event instanceof Long token) {
                if (onToken != null) {
                    onToken.accept(token);
                }
            } else if (event instanceof Generation g) {
                return g;
            } else if (event instanceof RuntimeException e) {
                throw e;
            } else if (event instanceof Error e) {
                throw e;
            }
        }
    }

    private void finish(Job job, Generation g, String sentText) {
        long end = System.nanoTime();
        String prompt = job.request.chat() ? lastUserMessage(job.request.messages()) : job.request.prompt();
        Completed c = new Completed(job.id, job.requested, job.model, job.request.chat(), job.request.stream(), prompt, sentText,
                job.promptIds.length, g.tokens().length, finishReason(g), (end - job.arrivedNanos) / 1e6,
                job.firstTokenNanos == 0 ? Double.NaN : (job.firstTokenNanos - job.arrivedNanos) / 1e6,
                (job.startedNanos - job.arrivedNanos) / 1e6);
        for (Consumer<Completed> l : listeners) {
            l.accept(c);
        }
    }

    private static String lastUserMessage(List<Message> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).role().equals("user")) {
                return messages.get(i).content();
            }
        }
        return messages.get(messages.size() - 1).content();
    }

    /** OpenAI's finish reasons: "stop" for an end token or a stop string, "length" for max_tokens. */
    private static String finishReason(Generation g) {
        return switch (g.finishReason()) {
            case "eos", "stop" -> "stop";
            default -> g.finishReason();
        };
    }

    private Map<String, Object> response(Job job, Generation g) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        if (job.request.chat()) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", "assistant");
            message.put("content", g.text());
            message.put("refusal", null);
            choice.put("message", message);
        } else {
            choice.put("text", g.text());
        }
        choice.put("logprobs", null);
        choice.put("finish_reason", finishReason(g));
        Map<String, Object> m = chunkBase(job);
        m.put("object", job.request.chat() ? "chat.completion" : "text_completion");
        m.put("choices", List.of(choice));
        m.put("usage", usage(job, g));
        return m;
    }

    private static Map<String, Object> usage(Job job, Generation g) {
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("prompt_tokens", job.promptIds.length);
        u.put("completion_tokens", g.tokens().length);
        u.put("total_tokens", job.promptIds.length + g.tokens().length);
        return u;
    }

    private static void sendError(Context ctx, ApiError e) {
        ctx.attribute(ERROR_SENT, true);
        sendJson(ctx, e.status(), e.body());
    }

    private static void sendJson(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Options of a server; {@link #start()} loads nothing, it serves the models given. */
    public static final class Builder {
        private final ServedModels models;
        private String host = "127.0.0.1";
        private int port = 8000;
        private int queueCapacity = 256;
        private int maxBatch = 8;
        private Duration batchWait = Duration.ofMillis(5);
        private AbTest abTest;
        private final List<Consumer<Completed>> listeners = new ArrayList<>();
        private final List<Consumer<List<String>>> batchListeners = new ArrayList<>();

        private Builder(ServedModels models) {
            this.models = models;
        }

        /** The address to listen on (default 127.0.0.1, this machine only; "0.0.0.0" for every interface). */
        public Builder host(String v) { host = v; return this; }

        /** The port (default 8000; 0 picks a free one, see {@link OpenAiServer#port()}). */
        public Builder port(int v) { port = v; return this; }

        /** How many requests may wait behind the running batch before the server answers 429 (default 256). */
        public Builder queueCapacity(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("queueCapacity must be >= 1, got " + v);
            }
            queueCapacity = v;
            return this;
        }

        /**
         * Most requests one generate call runs together (default 8; 1 turns batching off). Requests
         * for the same model and endpoint share a call; each still gets the tokens it gets alone.
         */
        public Builder maxBatch(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("maxBatch must be >= 1, got " + v);
            }
            maxBatch = v;
            return this;
        }

        /**
         * How long the worker waits, after taking a request, for others to join its batch (default
         * 5 ms; it stops waiting once the batch is full). Every request pays up to this much more latency.
         */
        public Builder batchWait(Duration v) {
            if (v.isNegative()) {
                throw new IllegalArgumentException("batchWait must be >= 0, got " + v);
            }
            batchWait = v;
            return this;
        }

        /**
         * Calls {@code listener} with the request ids of every batch, on the worker thread, just
         * before the batch runs (the batch waits for it, so keep it short).
         */
        public Builder onBatch(Consumer<List<String>> listener) { batchListeners.add(listener); return this; }

        /** Serves an A/B test under its name, next to the models. */
        public Builder abTest(AbTest v) { abTest = v; return this; }

        public Builder onCompleted(Consumer<Completed> v) { listeners.add(v); return this; }

        public OpenAiServer start() {
            return new OpenAiServer(this);
        }
    }
}
