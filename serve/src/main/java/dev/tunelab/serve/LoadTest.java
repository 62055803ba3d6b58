package dev.tunelab.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.generate.GenerationConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A load test on loopback: starts the server in this JVM on a free port, then C clients each send
 * streaming completions one after another (R each, or until T seconds have passed), reading the
 * server-sent events as they come. Prints, per client count, the percentiles of time to first
 * token and of whole-request latency, the tokens per second the server delivered in total, and
 * the mean number of requests per batch ({@code --max-batch 1} turns batching off).
 *
 * <pre>
 * java ... dev.tunelab.serve.LoadTest MODEL_DIR [--clients 1,4,16] [--requests 4] [--max-tokens 64] [--seconds 120]
 *     [--max-batch 8] [--batch-wait-ms 5]
 * </pre>
 */
public final class LoadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PROMPTS = List.of("Once upon a time", "One day, a little girl named Lily",
            "Tom had a red ball.", "The sun was shining and", "There was a big, friendly dog", "Sam and his mom went to the park.",
            "In a small house lived", "The bird sang a song");

    /** One request as the client saw it. */
    record Sample(double firstTokenMs, double latencyMs, int tokens) {}

    /** One load level: C clients, the samples, and the wall time they took. */
    record Level(int clients, List<Sample> samples, double wallSeconds) {
        double tokensPerSecond() {
            return samples.stream().mapToInt(Sample::tokens).sum() / wallSeconds;
        }
    }

    private LoadTest() {}

    public static void main(String[] args) throws Exception {
        Path model = null;
        List<Integer> clientCounts = List.of(1, 4, 16);
        int requests = 4;
        int maxTokens = 64;
        double seconds = 120;
        int maxBatch = 8;
        int batchWaitMs = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--clients" -> clientCounts = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--requests" -> requests = Integer.parseInt(args[++i]);
                case "--max-tokens" -> maxTokens = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--max-batch" -> maxBatch = Integer.parseInt(args[++i]);
                case "--batch-wait-ms" -> batchWaitMs = Integer.parseInt(args[++i]);
                default -> {
                    if (args[i].startsWith("--") || model != null) {
                        throw new IllegalArgumentException("unknown argument " + args[i]);
                    }
                    model = Path.of(args[i]);
                }
            }
        }
        if (model == null) {
            throw new IllegalArgumentException("usage: LoadTest MODEL_DIR [--clients 1,4,16] [--requests N] [--max-tokens N] [--seconds T]");
        }
        try (ServedModels models = ServedModels.load(model, Map.of())) {
            models.languageModel().generate("Once", GenerationConfig.greedy().maxNewTokens(2)); // JIT warm-up
            List<Integer> batchSizes = java.util.Collections.synchronizedList(new ArrayList<>());
            try (OpenAiServer server = OpenAiServer.builder(models).port(0).maxBatch(maxBatch)
                    .batchWait(Duration.ofMillis(batchWaitMs)).onBatch(ids -> batchSizes.add(ids.size())).start()) {
                run(server.baseUrl(), models.baseName(), 1, 2, maxTokens, seconds); // warm the HTTP path too, not reported
                System.out.println("max batch " + maxBatch + ", batch wait " + batchWaitMs + " ms");
                System.out.println("| clients | requests | first token p50 / p90 / p99 ms | latency p50 / p90 / p99 ms | tokens/s | mean batch |");
                System.out.println("| --- | --- | --- | --- | --- | --- |");
                for (int c : clientCounts) {
                    batchSizes.clear();
                    Level level = run(server.baseUrl(), models.baseName(), c, requests, maxTokens, seconds);
                    double meanBatch;
                    synchronized (batchSizes) {
                        meanBatch = batchSizes.stream().mapToInt(Integer::intValue).average().orElse(Double.NaN);
                    }
                    // a request that wrote no text (an end token first) has no first token
                    double[] ft = level.samples().stream().mapToDouble(Sample::firstTokenMs).filter(v -> !Double.isNaN(v)).sorted().toArray();
                    double[] lat = level.samples().stream().mapToDouble(Sample::latencyMs).sorted().toArray();
                    System.out.printf("| %d | %d | %.0f / %.0f / %.0f | %.0f / %.0f / %.0f | %.0f | %.1f |%n", c, lat.length,
                            AbComparison.percentile(ft, 50), AbComparison.percentile(ft, 90), AbComparison.percentile(ft, 99),
                            AbComparison.percentile(lat, 50), AbComparison.percentile(lat, 90), AbComparison.percentile(lat, 99),
                            level.tokensPerSecond(), meanBatch);
                }
            }
        }
    }

    static Level run(String baseUrl, String model, int clients, int requests, int maxTokens, double seconds) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                all.add(pool.submit(() -> {
                    for (int r = 0; r < requests && System.nanoTime() < deadline; r++) {
                        samples.add(request(http, baseUrl, model, PROMPTS.get((client + r) % PROMPTS.size()), maxTokens,
                                client * 1000L + r));
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get((long) seconds + 600, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return new Level(clients, List.copyOf(samples), (System.nanoTime() - start) / 1e9);
    }

    /** One streaming completion, sampled at temperature 0.8 with a seed, read event by event. */
    static Sample request(HttpClient http, String baseUrl, String model, String prompt, int maxTokens, long seed) throws Exception {
        String body = JSON.writeValueAsString(Map.of("model", model, "prompt", prompt, "max_tokens", maxTokens, "temperature", 0.8,
                "seed", seed, "stream", true, "stream_options", Map.of("include_usage", true)));
        HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + "/completions")).timeout(Duration.ofMinutes(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long t0 = System.nanoTime();
        HttpResponse<java.util.stream.Stream<String>> res = http.send(req, HttpResponse.BodyHandlers.ofLines());
        if (res.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + res.statusCode() + " from the server");
        }
        double[] first = {Double.NaN};
        int[] tokens = {0};
        res.body().forEach(line -> {
            if (!line.startsWith("data: {")) {
                return;
            }
            try {
                JsonNode chunk = JSON.readTree(line.substring(6));
                if (chunk.has("usage")) {
                    tokens[0] = chunk.get("usage").get("completion_tokens").asInt();
                } else if (Double.isNaN(first[0]) && !chunk.get("choices").get(0).get("text").asText().isEmpty()) {
                    first[0] = (System.nanoTime() - t0) / 1e6;
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return new Sample(first[0], (System.nanoTime() - t0) / 1e6, tokens[0]);
    }
}
