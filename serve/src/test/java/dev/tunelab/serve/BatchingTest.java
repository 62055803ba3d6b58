package dev.tunelab.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.RateLimitException;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.generate.GenerationConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batching and the queue's limits, with the official OpenAI Java client: requests run together in
 * one generate call get exactly the answers they get alone (a server with batching off), a client
 * that leaves a batch stops only its own row, and a full queue answers 429. Batches are made
 * deterministic by a long batch wait that ends when the batch is full, and the queue is held by
 * blocking the worker in {@link OpenAiServer.Builder#onBatch} on a latch.
 */
class BatchingTest {
    @TempDir
    static Path tmp;

    static ServedModels served;
    static OpenAiServer alone; // batching off
    static OpenAIClient aloneClient;
    static String base;
    static String baseText; // the library's greedy answer to OpenAiServerTest.PROMPT

    @BeforeAll
    static void start() throws Exception {
        Path adapter = OpenAiServerTest.writeAdapter(tmp.resolve("adapter"));
        try (LanguageModel ref = Models.load(OpenAiServerTest.MODEL)) {
            baseText = ref.generate(OpenAiServerTest.PROMPT, GenerationConfig.greedy().maxNewTokens(24)).text();
        }
        served = ServedModels.load(OpenAiServerTest.MODEL, Map.of("story-lora", adapter));
        base = served.baseName();
        alone = OpenAiServer.builder(served).port(0).maxBatch(1).start();
        aloneClient = client(alone);
    }

    @AfterAll
    static void stop() {
        if (alone != null) {
            alone.close();
        }
        if (served != null) {
            served.close();
        }
    }

    static OpenAIClient client(OpenAiServer server) {
        return OpenAIOkHttpClient.builder().baseUrl(server.baseUrl()).apiKey("unused").maxRetries(0).build();
    }

    /** One completion request; topP, seed and stop may be null. */
    record Ask(String model, String prompt, double temperature, Double topP, Long seed, int maxTokens, String stop, boolean stream) {
        CompletionCreateParams params() {
            CompletionCreateParams.Builder b = CompletionCreateParams.builder().model(model).prompt(prompt).temperature(temperature)
                    .maxTokens(maxTokens);
            if (topP != null) {
                b.topP(topP);
            }
            if (seed != null) {
                b.seed(seed);
            }
            if (stop != null) {
                b.stop(stop);
            }
            return b.build();
        }
    }

    /** What came back: the text, and for a non-streaming answer its finish reason and token count (else null, -1). */
    record Answer(String text, String finishReason, long completionTokens) {}

    static Answer ask(OpenAIClient client, Ask a) {
        if (!a.stream()) {
            Completion c = client.completions().create(a.params());
            return new Answer(c.choices().get(0).text(), c.choices().get(0).finishReason().asString(),
                    c.usage().orElseThrow().completionTokens());
        }
        StringBuilder text = new StringBuilder();
        try (StreamResponse<Completion> s = client.completions().createStreaming(a.params())) {
            s.stream().forEach(chunk -> chunk.choices().forEach(ch -> text.append(ch.text())));
        }
        return new Answer(text.toString(), null, -1);
    }

    @Test
    void requestsBatchedTogetherGetExactlyTheirAnswersAlone() throws Exception {
        // Two models, streaming and not, greedy and sampled with different seeds, temperatures,
        // top_p, max_tokens and a stop string.
        List<Ask> asks = List.of(
                new Ask(base, OpenAiServerTest.PROMPT, 0, null, null, 24, null, true),
                new Ask("story-lora", OpenAiServerTest.PROMPT, 0, null, null, 24, null, false),
                new Ask(base, "Once upon a time", 0.8, null, 11L, 30, null, false),
                new Ask("story-lora", "The cat", 1.0, 0.9, 12L, 10, null, true),
                new Ask(base, "Lily found a", 1.2, null, 13L, 16, ".", true),
                new Ask("story-lora", "Tom and his mom", 0.7, null, 14L, 20, null, false));
        List<Answer> expected = asks.stream().map(a -> ask(aloneClient, a)).toList();
        assertEquals(baseText, expected.get(0).text());

        List<List<String>> batches = Collections.synchronizedList(new ArrayList<>());
        // A minute's wait that ends as soon as 3 requests for one model are in: two full batches, one per model.
        try (OpenAiServer batching = OpenAiServer.builder(served).port(0).maxBatch(3).batchWait(Duration.ofSeconds(60))
                .onBatch(batches::add).start()) {
            OpenAIClient client = client(batching);
            ExecutorService pool = Executors.newFixedThreadPool(asks.size());
            try {
                List<Future<Answer>> answers = new ArrayList<>();
                for (Ask a : asks) {
                    answers.add(pool.submit(() -> ask(client, a)));
                }
                for (int i = 0; i < asks.size(); i++) {
                    assertEquals(expected.get(i), answers.get(i).get(120, TimeUnit.SECONDS), "request " + i + " " + asks.get(i));
                }
            } finally {
                pool.shutdownNow();
            }
        }
        assertEquals(List.of(3, 3), batches.stream().map(List::size).toList());
    }

    @Test
    void aStreamThatLeavesItsBatchStopsOnlyItsOwnRow() throws Exception {
        // Seed 6 at temperature 1.5 writes 480 tokens from "Once" without an end token (OpenAiServerTest).
        String leaving = OpenAiServerTest.JSON.writeValueAsString(Map.of("model", base, "prompt", "Once", "max_tokens", 480,
                "temperature", 1.5, "seed", 6, "stream", true));
        Ask staying = new Ask(base, "The cat", 1.0, null, 3L, 100, null, false);
        Answer expected = ask(aloneClient, staying);
        List<List<String>> batches = Collections.synchronizedList(new ArrayList<>());
        BlockingQueue<Completed> completed = new LinkedBlockingQueue<>();
        try (OpenAiServer batching = OpenAiServer.builder(served).port(0).maxBatch(2).batchWait(Duration.ofSeconds(60))
                .onBatch(batches::add).onCompleted(completed::add).start()) {
            OpenAIClient client = client(batching);
            CompletableFuture<Answer> stays = CompletableFuture.supplyAsync(() -> ask(client, staying));
            leaveAfterFirstChunk(batching.port(), leaving);
            assertEquals(expected, stays.get(120, TimeUnit.SECONDS));
            List<Completed> both = List.of(completed.poll(60, TimeUnit.SECONDS), completed.poll(60, TimeUnit.SECONDS));
            Completed left = both.stream().filter(c -> c.prompt().equals("Once")).findFirst().orElseThrow();
            assertEquals("cancelled", left.finishReason(), left.toString());
            assertTrue(left.completionTokens() < 480, left.toString());
        }
        assertEquals(List.of(2), batches.stream().map(List::size).toList());
    }

    @Test
    void aFullQueueAnswers429WithOpenAisErrorJson() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Ask greedy = new Ask(base, OpenAiServerTest.PROMPT, 0, null, null, 24, null, false);
        // One request may wait; the worker is held inside the first batch until released.
        try (OpenAiServer server = OpenAiServer.builder(served).port(0).queueCapacity(1).maxBatch(1).onBatch(ids -> {
            running.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).start()) {
            OpenAIClient client = client(server);
            try {
                CompletableFuture<Answer> first = CompletableFuture.supplyAsync(() -> ask(client, greedy));
                assertTrue(running.await(60, TimeUnit.SECONDS));
                CompletableFuture<Answer> second = CompletableFuture.supplyAsync(() -> ask(client, greedy));
                while (server.waiting() < 1) {
                    Thread.sleep(5);
                }
                HttpResponse<String> full = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.baseUrl()
                        + "/completions")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        OpenAiServerTest.JSON.writeValueAsString(Map.of("model", base, "prompt", "Hi")))).build(),
                        HttpResponse.BodyHandlers.ofString());
                OpenAiServerTest.assertError(full, 429, "server_error", null, "queue_full");
                JsonNode error = OpenAiServerTest.JSON.readTree(full.body()).get("error");
                assertTrue(error.get("message").asText().contains("1 requests are already waiting"), full.body());
                RateLimitException e = assertThrows(RateLimitException.class, () -> ask(client, greedy));
                assertEquals(429, e.statusCode());
                assertEquals("queue_full", e.code().orElseThrow());

                release.countDown();
                assertEquals(baseText, first.get(120, TimeUnit.SECONDS).text());
                assertEquals(baseText, second.get(120, TimeUnit.SECONDS).text());
                assertEquals(0, server.waiting());
            } finally {
                release.countDown();
            }
        }
    }

    /** Sends a streaming request on a raw socket and closes it once the first chunk has arrived. */
    static void leaveAfterFirstChunk(int port, String body) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            InputStream in = socket.getInputStream();
            String seen = "";
            byte[] buf = new byte[256];
            while (!seen.contains("data: {")) {
                int n = in.read(buf);
                assertTrue(n > 0, "the stream ended before its first chunk");
                seen += new String(buf, 0, n, StandardCharsets.UTF_8);
            }
        }
    }
}
