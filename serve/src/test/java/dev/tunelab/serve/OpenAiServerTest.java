package dev.tunelab.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.eval.WinRate;
import dev.tunelab.track.Run;
import dev.tunelab.train.ChatTemplate.Message;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server on a loopback port, serving the shipped tinystories-base and a LoRA adapter, spoken
 * to by real clients: the official OpenAI Java client, curl, and raw sockets. Greedy answers must
 * equal what the library itself generates for the same prompt and settings.
 */
class OpenAiServerTest {
    static final Path MODEL = Path.of("..", "datasets", "models", "tinystories-base");
    static final ObjectMapper JSON = new ObjectMapper();
    static final String PROMPT = "Once upon a time, there was a little dog named";
    static final List<Message> CHAT = List.of(Message.user("Tell me a story about a cat."));

    @TempDir
    static Path tmp;

    static ServedModels served;
    static OpenAiServer server;
    static OpenAIClient client;
    static final BlockingQueue<Completed> completed = new LinkedBlockingQueue<>();
    static String baseName;

    // What the library generates, computed on separate model instances before the server starts.
    static String baseText;
    static String baseChat;
    static String adapterText;

    @BeforeAll
    static void start() throws Exception {
        Path adapter = writeAdapter(tmp.resolve("adapter"));
        GenerationConfig greedy = GenerationConfig.greedy().maxNewTokens(24);
        try (LanguageModel ref = Models.load(MODEL)) {
            baseText = ref.generate(PROMPT, greedy).text();
            baseChat = ref.chat(CHAT, greedy).text();
            PeftModel.load(ref.model(), adapter);
            ref.model().train(false);
            adapterText = ref.generate(PROMPT, greedy).text();
        }
        served = ServedModels.load(MODEL, Map.of("story-lora", adapter));
        baseName = served.baseName();
        server = OpenAiServer.builder(served).port(0).onCompleted(completed::add).start();
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl()).apiKey("unused").build();
    }

    /** A LoRA adapter for tinystories-base with random B (a fresh LoRA's B is zero and changes nothing), saved to {@code dir}. */
    static Path writeAdapter(Path dir) throws Exception {
        try (LanguageModel lm = Models.load(MODEL)) {
            PeftModel peft = Lora.apply(lm.model(), LoraConfig.builder().r(4).alpha(8).targetModules("q_proj", "v_proj").build());
            Random random = new Random(1);
            Lora.layers(lm.model()).values().forEach(l -> randomize(l.loraB("default"), random));
            peft.save(dir);
        }
        return dir;
    }

    static void randomize(dev.tunelab.model.Parameter p, Random random) {
        var d = p.data();
        float[] v = new float[(int) d.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * 0.3);
        }
        p.set(d.getManager().create(v, d.getShape()));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (served != null) {
            served.close();
        }
    }

    @Test
    void theAdapterChangesTheAnswerSoSelectionIsObservable() {
        assertEquals("tinystories-base", baseName);
        assertNotEquals(baseText, adapterText);
    }

    @Test
    void completionsFromTheOpenAiClientEqualGenerate() {
        for (String model : List.of(baseName, "story-lora")) {
            String expected = model.equals(baseName) ? baseText : adapterText;
            CompletionCreateParams params = CompletionCreateParams.builder().model(model).prompt(PROMPT).maxTokens(24)
                    .temperature(0).build();
            Completion c = client.completions().create(params);
            assertEquals(expected, c.choices().get(0).text(), model);
            assertEquals(model, c.model());
            assertEquals(24, c.usage().get().completionTokens());
            StringBuilder streamed = new StringBuilder();
            try (StreamResponse<Completion> s = client.completions().createStreaming(params)) {
                s.stream().forEach(chunk -> chunk.choices().forEach(ch -> streamed.append(ch.text())));
            }
            assertEquals(expected, streamed.toString(), model + " streamed");
        }
    }

    @Test
    void chatFromTheOpenAiClientEqualsLmChat() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(baseName)
                .addUserMessage(CHAT.get(0).content()).maxCompletionTokens(24).temperature(0).build();
        ChatCompletion c = client.chat().completions().create(params);
        assertEquals(baseChat, c.choices().get(0).message().content().orElseThrow());
        StringBuilder streamed = new StringBuilder();
        List<String> finishReasons = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            s.stream().forEach(chunk -> chunk.choices().forEach(ch -> {
                ch.delta().content().ifPresent(streamed::append);
                ch.finishReason().ifPresent(r -> finishReasons.add(r.asString()));
            }));
        }
        assertEquals(baseChat, streamed.toString());
        assertEquals(1, finishReasons.size());
    }

    @Test
    void unknownModelIsA404TheClientRecognises() {
        NotFoundException e = assertThrows(NotFoundException.class, () -> client.completions().create(
                CompletionCreateParams.builder().model("gpt-4").prompt("Hi").build()));
        assertTrue(e.getMessage().contains("gpt-4"), e.getMessage());
    }

    @Test
    void curlGetsServerSentEventsInOpenAisForm() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")) || onPath("curl"), "curl is not installed");
        String body = JSON.writeValueAsString(Map.of("model", baseName, "prompt", PROMPT, "max_tokens", 24,
                "temperature", 0, "stream", true, "stream_options", Map.of("include_usage", true)));
        String out = curl("-sN", "-X", "POST", server.baseUrl() + "/completions", "-H", "Content-Type: application/json",
                "-d", body);
        assertTrue(out.endsWith("data: [DONE]\n\n"), out);
        String[] events = out.split("\n\n");
        StringBuilder text = new StringBuilder();
        int usageChunks = 0;
        for (int i = 0; i < events.length - 1; i++) {
            assertTrue(events[i].startsWith("data: {"), "event " + i + ": " + events[i]);
            JsonNode chunk = JSON.readTree(events[i].substring("data: ".length()));
            assertEquals("text_completion", chunk.get("object").asText());
            if (chunk.has("usage")) {
                usageChunks++;
                assertEquals(24, chunk.get("usage").get("completion_tokens").asInt());
                assertEquals(0, chunk.get("choices").size());
            } else {
                text.append(chunk.get("choices").get(0).get("text").asText());
            }
        }
        assertEquals(1, usageChunks);
        assertEquals(baseText, text.toString());

        String models = curl("-s", server.baseUrl() + "/models");
        JsonNode list = JSON.readTree(models);
        assertEquals(List.of(baseName, "story-lora"),
                List.of(list.get("data").get(0).get("id").asText(), list.get("data").get(1).get("id").asText()));
    }

    @Test
    void badRequestsGetOpenAisErrorJsonWithA4xx() throws Exception {
        assertError(post("/completions", "{\"model\": \"tinystories-base\", \"prompt\": "), 400, "invalid_request_error", null, null);
        assertError(post("/completions", "{\"model\": \"nope\", \"prompt\": \"Hi\"}"), 404, "invalid_request_error", "model", "model_not_found");
        String longPrompt = "the dog ran and ".repeat(200);
        assertError(post("/completions", JSON.writeValueAsString(Map.of("model", baseName, "prompt", longPrompt))),
                400, "invalid_request_error", "prompt", "context_length_exceeded");
        assertError(post("/chat/completions", JSON.writeValueAsString(Map.of("model", baseName,
                "messages", List.of(Map.of("role", "user", "content", "Hi")), "max_tokens", 600))),
                400, "invalid_request_error", "messages", "context_length_exceeded");
        assertError(post("/completions", "{\"model\": \"tinystories-base\", \"prompt\": \"Hi\", \"n\": 2}"), 400, "invalid_request_error", "n", null);
        assertError(post("/completions", "{\"model\": \"tinystories-base\", \"prompt\": \"Hi\", \"logit_bias\": {}}"), 400,
                "invalid_request_error", "logit_bias", null);
        assertError(post("/completions", "[1, 2]"), 400, "invalid_request_error", null, null);
        assertError(post("/embeddings", "{}"), 404, "invalid_request_error", null, "unknown_url");
        // and the server still answers
        assertEquals(baseText, client.completions().create(CompletionCreateParams.builder().model(baseName).prompt(PROMPT)
                .maxTokens(24).temperature(0).build()).choices().get(0).text());
    }

    @Test
    void aClientThatLeavesMidStreamStopsItsGeneration() throws Exception {
        // At temperature 1.5 with seed 6 (the first seed from 0 that does so) the model writes 480
        // tokens without an end token, so a generation that ends earlier was stopped by the disconnect.
        long seed = 6;
        try (LanguageModel ref = Models.load(MODEL)) {
            assertEquals(480, ref.generate("Once", GenerationConfig.sample(1.5).seed(seed).maxNewTokens(480)).tokens().length);
        }
        completed.clear();
        String body = JSON.writeValueAsString(Map.of("model", baseName, "prompt", "Once", "max_tokens", 480,
                "temperature", 1.5, "seed", seed, "stream", true));
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
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
        } // closed after the first chunk
        Completed c = completed.poll(60, TimeUnit.SECONDS);
        assertEquals("cancelled", c.finishReason(), c.toString());
        assertTrue(c.completionTokens() < 480, c.toString());
        assertEquals(baseText, client.completions().create(CompletionCreateParams.builder().model(baseName).prompt(PROMPT)
                .maxTokens(24).temperature(0).build()).choices().get(0).text());
    }

    @Test
    void concurrentRequestsAreQueuedAndEachAnsweredAsAlone() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String model = i % 2 == 0 ? baseName : "story-lora";
                boolean stream = i % 3 == 0;
                answers.add(pool.submit(() -> {
                    CompletionCreateParams p = CompletionCreateParams.builder().model(model).prompt(PROMPT).maxTokens(24)
                            .temperature(0).build();
                    if (!stream) {
                        return client.completions().create(p).choices().get(0).text();
                    }
                    StringBuilder s = new StringBuilder();
                    try (StreamResponse<Completion> r = client.completions().createStreaming(p)) {
                        r.stream().forEach(chunk -> chunk.choices().forEach(ch -> s.append(ch.text())));
                    }
                    return s.toString();
                }));
            }
            for (int i = 0; i < 6; i++) {
                assertEquals(i % 2 == 0 ? baseText : adapterText, answers.get(i).get(120, TimeUnit.SECONDS), "request " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void abRoutingFollowsTheSeedAndEveryResponseIsLoggedToTheRunStore() throws Exception {
        List<String> prompts = List.of("Once upon a time", "The cat", "Lily found a", "Tom and his mom", "One day, a bird");
        Path runs = tmp.resolve("runs");
        Run run = Run.builder("ab-test").runsDir(runs).config(Map.of("test", true)).start();
        List<String> ids = new ArrayList<>();
        // a second server on the same models; JUnit runs the tests one at a time, so the two never generate together
        try (OpenAiServer ab = OpenAiServer.builder(served).port(0).abTest(AbTest.of("story-ab", baseName, "story-lora", 0.5, 3))
                .onCompleted(new ResponseLog(run)).start()) {
            OpenAIClient abClient = OpenAIOkHttpClient.builder().baseUrl(ab.baseUrl()).apiKey("unused").build();
            AbTest replay = AbTest.of("story-ab", baseName, "story-lora", 0.5, 3);
            for (int round = 0; round < 4; round++) {
                for (String p : prompts) {
                    Completion c = abClient.completions().create(CompletionCreateParams.builder().model("story-ab").prompt(p)
                            .maxTokens(12).temperature(0).build());
                    assertEquals(replay.pick(), c.model(), "request " + ids.size());
                    ids.add(c.id());
                }
            }
        }
        run.close();
        List<Map<String, Object>> rows = dev.tunelab.track.RunRecord.read(run.dir()).history();
        assertEquals(20, rows.size());
        assertEquals(ids(rows), ids);
        AbComparison cmp = AbComparison.fromRun(run.dir());
        tech.tablesaw.api.Table t = cmp.table();
        assertEquals(20, t.intColumn("requests").sum(), 0);
        long baseCount = rows.stream().filter(r -> r.get("model").equals(baseName)).count();
        assertEquals((int) baseCount, t.where(t.stringColumn("model").isEqualTo(baseName)).intColumn("requests").getInt(0));
        // The win rate is WinRate on each arm's first answer to every prompt both arms answered.
        WinRate.Judge longer = (p, a, b) -> a.length() == b.length() ? WinRate.Verdict.TIE
                : a.length() > b.length() ? WinRate.Verdict.A : WinRate.Verdict.B;
        List<String> shared = new ArrayList<>();
        List<String> outA = new ArrayList<>();
        List<String> outB = new ArrayList<>();
        for (String p : prompts) {
            var a = rows.stream().filter(r -> r.get("prompt").equals(p) && r.get("model").equals("story-lora")).findFirst();
            var b = rows.stream().filter(r -> r.get("prompt").equals(p) && r.get("model").equals(baseName)).findFirst();
            if (a.isPresent() && b.isPresent()) {
                shared.add(p);
                outA.add((String) a.get().get("text"));
                outB.add((String) b.get().get("text"));
            }
        }
        assertFalse(shared.isEmpty());
        assertEquals(WinRate.ofBothOrders(shared, outA, outB, longer, 1000, 0.95, 0), cmp.winRate("story-lora", baseName, longer));
        assertEquals("A/B test: latency against answer length", cmp.chart().getTitle());
    }

    static List<String> ids(List<Map<String, Object>> rows) {
        return rows.stream().map(r -> (String) r.get("request_id")).toList();
    }

    static void assertError(HttpResponse<String> r, int status, String type, String param, String code) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = JSON.readTree(r.body()).get("error");
        assertFalse(e.get("message").asText().isEmpty());
        assertEquals(type, e.get("type").asText());
        assertEquals(param, e.get("param").isNull() ? null : e.get("param").asText(), r.body());
        assertEquals(code, e.get("code").isNull() ? null : e.get("code").asText(), r.body());
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    }

    static String curl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    static boolean onPath(String exe) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, exe))) {
                return true;
            }
        }
        return false;
    }
}
