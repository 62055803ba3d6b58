package dev.tunelab.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The W&amp;B sink against a fake server that keeps history lines at their offsets (see {@link FakeWandb}). */
class WandbSinkTest {
    static final String KEY = "tl-secret-4f7a9c1e2b3d5f60718293a4b5c6d7e8";
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    @TempDir
    Path tmp;
    MockWebServer server;
    FakeWandb wandb;
    final List<String> logs = new java.util.concurrent.CopyOnWriteArrayList<>(); // written by sender threads

    @BeforeEach
    void startServer() throws IOException {
        server = new MockWebServer();
        wandb = new FakeWandb(KEY);
        server.setDispatcher(wandb);
        server.start();
    }

    @AfterEach
    void noSecretAnywhere() throws IOException {
        server.shutdown();
        assertNoKey(tmp, logs);
    }

    /** Fast settings: retries after 1-4 ms, posts as soon as there is something to send. */
    WandbSettings settings(String baseUrl, String key) {
        return WandbSettings.online(baseUrl, key).entity("team").project("proj").backoff(Duration.ofMillis(1),
                Duration.ofMillis(4)).giveUpAfter(Duration.ofSeconds(3)).streamInterval(Duration.ZERO)
                .heartbeat(Duration.ofSeconds(30)).finishTimeout(Duration.ofSeconds(20)).log(logs::add);
    }

    Run run(WandbSettings s, String name) {
        return Run.builder(name).runsDir(tmp.resolve("runs")).config(Map.of("lr", 0.001, "model", Map.of("layers", 2)))
                .wandb(s).start();
    }

    static List<Long> steps(List<String> lines) throws IOException {
        List<Long> steps = new ArrayList<>();
        for (String line : lines) {
            steps.add(JSON.readTree(line).path("_step").asLong());
        }
        return steps;
    }

    static List<Long> range(long from, long to) {
        List<Long> r = new ArrayList<>();
        for (long i = from; i < to; i++) {
            r.add(i);
        }
        return r;
    }

    @Test
    void sendsTheRequestsTheProtocolDescribes() throws Exception {
        Run run = run(settings(server.url("/").toString(), KEY).tags(List.of("a", "b")).notes("first try"), "exact");
        for (int step = 0; step < 3; step++) {
            run.log(step, Map.of("loss", 2.0 - step, "eval", Map.of("loss", 3.0 - step)));
        }
        BufferedImage image = new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB);
        run.log(3, Map.of("sample", image, "loss", Double.NaN));
        run.print("hello");
        run.summary(Map.of("best", 0.5));
        run.finish(0);

        String basic = "Basic " + Base64.getEncoder().encodeToString(("api:" + KEY).getBytes(StandardCharsets.UTF_8));
        List<RecordedRequest> all = new ArrayList<>(wandb.requests);
        assertEquals("Viewer", FakeWandb.operation(all.get(0)));
        assertEquals("UpsertBucket", FakeWandb.operation(all.get(1)));
        for (RecordedRequest r : all) {
            assertEquals("POST".equals(r.getMethod()) ? basic : null, r.getHeader("Authorization"), r.getPath());
        }

        JsonNode upsert = FakeWandb.body(all.get(1)).path("variables");
        String wandbRun = upsert.path("name").asText();
        assertTrue(wandbRun.matches("[a-z0-9]{8}"), wandbRun);
        assertEquals("team", upsert.path("entity").asText());
        assertEquals("proj", upsert.path("project").asText());
        assertEquals(run.id(), upsert.path("displayName").asText());
        assertEquals("first try", upsert.path("notes").asText());
        assertEquals("[\"a\",\"b\"]", upsert.path("tags").toString());
        JsonNode config = JSON.readTree(upsert.path("config").asText());
        assertEquals(0.001, config.path("lr").path("value").asDouble());
        assertTrue(config.path("lr").has("desc") && config.path("lr").path("desc").isNull());
        assertEquals(2, config.path("model").path("value").path("layers").asInt());
        assertTrue(config.path("_wandb").path("value").has("start_time"));
        // the versions block goes along: real versions and libtorch's thread count, no "null" strings
        JsonNode versions = config.path("_tunelab").path("value");
        assertEquals(Versions.tunelab(), versions.path("tunelab").asText());
        assertEquals(Versions.all().get("intra_op_threads"), versions.path("intra_op_threads").asText());
        assertFalse(versions.toString().contains("\"null\""), versions.toString());

        // file_stream: history lines in order with consecutive offsets; reserved keys on each row
        String streamPath = "/files/team/proj/" + wandbRun + "/file_stream";
        List<RecordedRequest> streams = wandb.requests("/file_stream");
        long expectedOffset = 0;
        for (RecordedRequest r : streams) {
            assertEquals(streamPath, r.getPath());
            JsonNode chunk = FakeWandb.body(r).path("files").path(WandbSender.HISTORY);
            if (!chunk.isMissingNode()) {
                assertEquals(expectedOffset, chunk.path("offset").asLong());
                expectedOffset += chunk.path("content").size();
            }
        }
        assertEquals(4, expectedOffset);
        assertEquals(range(0, 4), steps(wandb.history));
        JsonNode first = JSON.readTree(wandb.history.get(0));
        assertEquals(2.0, first.path("loss").asDouble());
        assertEquals(3.0, first.path("eval.loss").asDouble());
        assertTrue(first.path("_timestamp").isDouble() && first.path("_runtime").isNumber());
        // NaN inside a line is the bare token the server parses (the outer body stays strict JSON)
        assertTrue(wandb.history.get(3).contains("\"loss\":NaN"), wandb.history.get(3));
        assertTrue(wandb.console.get(0).matches("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z hello\n"), wandb.console.get(0));

        // the image: CreateRunFiles, then a PUT of its bytes with the upload headers, then listed as uploaded
        JsonNode row = JSON.readTree(wandb.history.get(3)).path("sample");
        String name = row.path("path").asText();
        assertEquals("image-file", row.path("_type").asText());
        assertTrue(name.matches("media/images/sample_3_[0-9a-f]{20}\\.png"), name);
        JsonNode created = FakeWandb.body(wandb.requests("CreateRunFiles").get(0)).path("variables");
        assertEquals("{\"entity\":\"team\",\"project\":\"proj\",\"run\":\"" + wandbRun + "\",\"files\":[\"" + name + "\"]}",
                created.toString());
        RecordedRequest put = wandb.requests("/upload/" + name).get(0);
        assertEquals("PUT", put.getMethod());
        assertEquals("yes", put.getHeader("X-Test"));
        byte[] local = Files.readAllBytes(run.dir().resolve("files").resolve(name));
        assertEquals(String.valueOf(local.length), put.getHeader("Content-Length"));
        assertTrue(java.util.Arrays.equals(local, wandb.uploads.get(name)));
        assertEquals(List.of(name), wandb.uploaded);

        // the summary, with the runtime at exit; the last request is the final complete
        JsonNode summary = JSON.readTree(wandb.summary);
        assertEquals(0.5, summary.path("best").asDouble());
        assertTrue(summary.has("_exit_code"));
        double runtime = summary.path("_wandb").path("runtime").asDouble(-1);
        assertTrue(runtime >= 0 && runtime < 60, summary.toString());
        JsonNode last = FakeWandb.body(all.get(all.size() - 1));
        assertTrue(last.path("complete").asBoolean());
        assertEquals(0, last.path("exitcode").asInt());
        assertEquals(0, wandb.exitCode);
        assertTrue(logs.stream().anyMatch(l -> l.contains("/team/proj/runs/" + wandbRun)), logs.toString());
        assertTrue(wandb.gaps.isEmpty(), wandb.gaps.toString());
    }

    @Test
    void retriesThrough429And500sAndAResetWithoutLosingOrRepeatingRows() throws Exception {
        wandb.fail("graphql", 429);
        wandb.fail("file_stream", 429, 500, 500, 500, FakeWandb.RESET, 503, FakeWandb.RESET_BEFORE);
        wandb.fail("upload", 500);
        Run run = run(settings(server.url("/").toString(), KEY), "faults");
        for (int step = 0; step < 40; step++) {
            run.log(step, Map.of("loss", 1.0 / (step + 1)));
            if (step == 20) {
                run.saveFile("notes.txt", "hello".getBytes(StandardCharsets.UTF_8));
            }
        }
        run.finish(0);
        assertEquals(range(0, 40), steps(wandb.history));
        assertEquals(0, wandb.exitCode);
        assertEquals("hello", new String(wandb.uploads.get("notes.txt"), StandardCharsets.UTF_8));
        // every injected fault was met and retried
        assertTrue(wandb.faults.values().stream().allMatch(java.util.Collection::isEmpty), wandb.faults.toString());
        // the reset: its chunk was applied, then sent again at the same offset
        assertTrue(wandb.requests("/file_stream").size() >= 8);
        assertTrue(wandb.gaps.isEmpty(), wandb.gaps.toString());
        assertTrue(logs.stream().noneMatch(l -> l.contains("stopped") || l.contains("rejected")), logs.toString());
    }

    @Test
    void aServerDownForTheWholeRunIsSyncedAfterwards() throws Exception {
        String url = server.url("/").toString();
        server.shutdown(); // nothing listens there during the run
        Run run = run(settings(url, KEY).giveUpAfter(Duration.ofMillis(100)), "down");
        for (int step = 0; step < 25; step++) {
            run.log(step, Map.of("loss", (double) step));
        }
        run.saveFile("weights.bin", new byte[] {1, 2, 3});
        run.summary(Map.of("final_loss", 24.0));
        run.finish(0);
        assertEquals(25, run.history().size()); // training went on locally
        assertEquals(1, logs.stream().filter(l -> l.contains("W&B upload stopped")).count(), logs.toString());

        MockWebServer later = new MockWebServer();
        FakeWandb back = new FakeWandb(KEY);
        later.setDispatcher(back);
        later.start();
        try {
            WandbSync.Result r = WandbSync.sync(run.dir(), settings(later.url("/").toString(), KEY));
            assertEquals(range(0, 25), steps(back.history));
            assertEquals(25, r.historyLines());
            assertTrue(r.complete());
            assertEquals(0, back.exitCode);
            assertEquals(24.0, JSON.readTree(back.summary).path("final_loss").asDouble());
            assertEquals(3, back.uploads.get("weights.bin").length);

            // syncing again sends nothing new; replaying from scratch (state lost) lands on the same offsets
            int before = back.requests.size();
            WandbSync.sync(run.dir(), settings(later.url("/").toString(), KEY));
            assertEquals(List.of("Viewer"), back.requests.subList(before, back.requests.size()).stream()
                    .map(FakeWandb::operation).toList());
            Files.delete(run.dir().resolve("wandb/state.json"));
            WandbSync.sync(run.dir(), settings(later.url("/").toString(), KEY));
            assertEquals(range(0, 25), steps(back.history));
            assertTrue(back.gaps.isEmpty(), back.gaps.toString());
        } finally {
            later.shutdown();
        }
    }

    @Test
    void offlineModeWritesTheJournalOnlyAndSyncUploadsIt() throws Exception {
        Run run = run(settings(server.url("/").toString(), KEY).mode(WandbSettings.Mode.OFFLINE), "offline");
        for (int step = 0; step < 5; step++) {
            run.log(step * 10, Map.of("loss", (double) step));
        }
        run.finish(3);
        assertEquals(0, wandb.requests.size());
        assertTrue(Files.exists(run.dir().resolve("wandb/journal.jsonl")));
        WandbSync.sync(run.dir(), settings(server.url("/").toString(), KEY));
        assertEquals(List.of(0L, 10L, 20L, 30L, 40L), steps(wandb.history));
        assertEquals(3, wandb.exitCode); // non-zero: the run failed
    }

    @Test
    void aBadKeyGivesOneMessageAndTrainingGoesOnLocally() throws Exception {
        Run run = run(settings(server.url("/").toString(), "wrong-" + KEY.substring(6)), "badkey");
        for (int step = 0; step < 10; step++) {
            run.log(step, Map.of("loss", (double) step));
        }
        run.finish(0);
        assertEquals(10, run.history().size());
        assertEquals(10, Files.readAllLines(run.dir().resolve("history.jsonl")).size());
        assertEquals(List.of("Viewer"), wandb.requests.stream().map(FakeWandb::operation).toList());
        List<String> warnings = logs.stream().filter(l -> l.contains("401")).toList();
        assertEquals(1, warnings.size(), logs.toString());
        assertTrue(warnings.get(0).contains("rejected the API key"), warnings.get(0));
        assertFalse(String.join("\n", logs).contains(KEY.substring(6)));
        assertNoKey(tmp, logs, KEY.substring(6));
    }

    @Test
    void graphqlErrorsInA200AreNotRetriedAndTheRunStaysLocal() throws Exception {
        wandb.fail("graphql", FakeWandb.PASS, FakeWandb.GRAPHQL_ERRORS);
        Run run = run(settings(server.url("/").toString(), KEY), "gqlerr");
        run.log(0, Map.of("loss", 1.0));
        run.finish(0);
        assertEquals(List.of("Viewer", "UpsertBucket"), wandb.requests.stream().map(FakeWandb::operation).toList());
        assertEquals(1, logs.stream().filter(l -> l.contains("UpsertBucket failed: config too large")).count(), logs.toString());
        assertEquals(1, Files.readAllLines(run.dir().resolve("history.jsonl")).size());
    }

    @Test
    void aFullQueueSpillsToTheJournalAndNothingIsLost() throws Exception {
        Run run = run(settings(server.url("/").toString(), KEY).queueCapacity(2), "spill");
        for (int step = 0; step < 300; step++) {
            run.log(step, Map.of("loss", (double) step));
        }
        run.finish(0);
        assertEquals(range(0, 300), steps(wandb.history));
        assertTrue(wandb.gaps.isEmpty());
    }

    @Test
    void wandbRunIdResumesWhereTheServerStopped() throws Exception {
        Run first = run(settings(server.url("/").toString(), KEY).runId("resume01"), "part1");
        for (int step = 0; step < 5; step++) {
            first.log(step, Map.of("loss", (double) step));
        }
        first.finish(0);
        Run second = run(settings(server.url("/").toString(), KEY).runId("resume01"), "part2");
        for (int step = 5; step < 8; step++) {
            second.log(step, Map.of("loss", (double) step));
        }
        second.finish(0);
        assertEquals(range(0, 8), steps(wandb.history));
        assertEquals(2, wandb.requests("RunResumeStatus").size());
        JsonNode firstChunkOfSecond = wandb.requests("/file_stream").stream().map(FakeWandb::body)
                .map(b -> b.path("files").path(WandbSender.HISTORY))
                .filter(h -> h.path("content").size() > 0 && h.path("content").get(0).asText().contains("\"_step\":5"))
                .findFirst().orElseThrow();
        assertEquals(5, firstChunkOfSecond.path("offset").asInt());
    }

    @Test
    void aStopFromTheUiReachesTheRun() throws Exception {
        Run run = run(settings(server.url("/").toString(), KEY), "stop");
        run.log(0, Map.of("loss", 1.0));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (wandb.history.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(!run.stopRequested());
        wandb.stopped = true;
        run.log(1, Map.of("loss", 0.5));
        while (!run.stopRequested() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(run.stopRequested());
        run.finish(0);
    }

    @Test
    void aRunStartedByASweepAgentReportsToItsSweep() throws Exception {
        Map<String, String> env = Map.of("WANDB_API_KEY", KEY, "WANDB_BASE_URL", server.url("/").toString(),
                "WANDB_PROJECT", "proj", "WANDB_RUN_ID", "agentrun1", "WANDB_SWEEP_ID", "sw33p");
        WandbSettings s = WandbSettings.from(env, null).backoff(Duration.ofMillis(1), Duration.ofMillis(4))
                .streamInterval(Duration.ZERO).log(logs::add);
        Run run = Run.builder("agent").runsDir(tmp.resolve("runs")).config(Map.of("lr", 0.01)).wandb(s).start();
        run.log(0, Map.of("loss", 1.0));
        run.finish(0);
        assertEquals(List.of("Viewer", "RunResumeStatus", "UpsertBucket"), wandb.requests.stream()
                .filter(r -> r.getPath().equals("/graphql")).map(FakeWandb::operation).toList());
        JsonNode upsert = FakeWandb.body(wandb.requests("UpsertBucket").get(0)).path("variables");
        assertEquals("agentrun1", upsert.path("name").asText());
        assertEquals("sw33p", upsert.path("sweep").asText());
        assertEquals("default-entity", upsert.path("entity").asText()); // no WANDB_ENTITY: the key's own entity
        assertEquals("/files/default-entity/proj/agentrun1/file_stream", wandb.requests("/file_stream").get(0).getPath());
    }

    @Test
    void heartbeatsKeepAQuietRunAliveAndAnUnfinishedUploadIsLeftToSync() throws Exception {
        Run run = run(settings(server.url("/").toString(), KEY).heartbeat(Duration.ofMillis(30)), "quiet");
        run.log(0, Map.of("loss", 1.0));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline && wandb.requests("/file_stream").stream().map(FakeWandb::body)
                .noneMatch(b -> b.has("complete") && !b.path("complete").asBoolean())) {
            Thread.sleep(10);
        }
        JsonNode beat = wandb.requests("/file_stream").stream().map(FakeWandb::body)
                .filter(b -> b.has("complete") && !b.path("complete").asBoolean()).findFirst().orElseThrow();
        assertEquals("{\"complete\":false,\"failed\":false,\"dropped\":0,\"uploaded\":[]}", beat.toString());

        // the server starts failing for good; finish waits its bounded time, then leaves the rest to sync
        wandb.fail("file_stream", 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500,
                500, 500, 500, 500);
        Run slow = run(settings(server.url("/").toString(), KEY).backoff(Duration.ofMillis(200), Duration.ofMillis(200))
                .finishTimeout(Duration.ofMillis(300)), "slow");
        slow.log(0, Map.of("loss", 1.0));
        slow.finish(0);
        assertEquals(1, logs.stream().filter(l -> l.contains("upload not done")).count(), logs.toString());
        assertTrue(logs.stream().noneMatch(l -> l.contains("upload stopped")), logs.toString());
        run.finish(0);
        wandb.faults.clear();
        WandbSync.Result synced = WandbSync.sync(slow.dir(), settings(server.url("/").toString(), KEY));
        assertTrue(synced.complete());
        assertEquals(1, synced.historyLines());
        String slowRun = synced.runUrl().substring(synced.runUrl().lastIndexOf('/') + 1);
        assertTrue(wandb.requests("/" + slowRun + "/file_stream").stream().map(FakeWandb::body)
                .anyMatch(b -> b.path("complete").asBoolean()));
    }

    @Test
    void aRateLimitedAnswerCarriesTheServersResetTime() {
        wandb.fail("graphql", FakeWandb.RATE_LIMITED);
        WandbApi api = new WandbApi(settings(server.url("/").toString(), KEY));
        WandbException e = org.junit.jupiter.api.Assertions.assertThrows(WandbException.class,
                () -> api.graphql("Viewer", WandbApi.VIEWER, JSON.createObjectNode()));
        assertEquals(429, e.status());
        assertTrue(e.retryable());
        assertEquals(100_000_000L, Backoff.RetryAfter.nanos(e));
    }

    @Test
    void bigBatchesAreSplitAndAnOversizedLineIsDroppedWithoutShiftingOffsets() throws Exception {
        WandbSettings s = settings(server.url("/").toString(), KEY).streamInterval(Duration.ofMillis(300));
        s.maxPostBytes = 1000;
        s.maxLineBytes = 400;
        Run run = run(s, "split");
        for (int step = 0; step < 60; step++) {
            String note = step == 30 ? "x".repeat(500) : "ok";
            run.log(step, Map.of("loss", (double) step, "note", note));
        }
        run.finish(0);
        List<Long> expected = range(0, 60);
        expected.remove(Long.valueOf(30));
        assertEquals(expected, steps(wandb.history));
        for (RecordedRequest r : wandb.requests("/file_stream")) {
            assertTrue(r.getBodySize() < 2500, "a post of " + r.getBodySize() + " bytes");
        }
        assertTrue(wandb.requests("/file_stream").size() >= 8);
        assertEquals(1, logs.stream().filter(l -> l.contains("over 400 bytes")).count(), logs.toString());
        assertEquals(60, Files.readAllLines(run.dir().resolve("history.jsonl")).size());
    }

    @Test
    void theSyncCommandReportsEachFolder() throws Exception {
        Run run = run(settings(server.url("/").toString(), KEY).mode(WandbSettings.Mode.OFFLINE), "cli");
        run.log(0, Map.of("loss", 1.0));
        run.finish(0);
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.ByteArrayOutputStream();
        Path missing = tmp.resolve("runs/nope");
        int code = WandbSync.run(new String[] {run.dir().toString(), missing.toString()},
                settings(server.url("/").toString(), KEY), new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
        assertEquals(1, code); // one of the two folders failed
        assertTrue(out.toString().startsWith(run.dir() + ": 1 history lines, 0 files -> "), out.toString());
        assertTrue(err.toString().contains(missing + ": not synced: ") && err.toString().contains("journal.jsonl"), err.toString());
        assertEquals(2, WandbSync.run(new String[0], settings(server.url("/").toString(), KEY), System.out,
                new java.io.PrintStream(err, true)));
        logs.add(out.toString());
        logs.add(err.toString());
        assertEquals(List.of(0L), steps(wandb.history));
    }

    @Test
    void settingsComeFromTheSdkVariables(@TempDir Path home) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WANDB_BASE_URL", "http://localhost:8080/");
        env.put("WANDB_MODE", "dryrun");
        env.put("WANDB_TAGS", "lora, sweep,,x");
        env.put("WANDB_PROJECT", "tunelab");
        WandbSettings s = WandbSettings.from(env, null);
        assertEquals(WandbSettings.Mode.OFFLINE, s.mode());
        assertEquals("http://localhost:8080", s.baseUrl());
        assertEquals(List.of("lora", "sweep", "x"), s.tags);
        assertTrue(s.enabled());
        // no key, no mode: nothing is sent
        assertFalse(WandbSettings.from(Map.of(), null).enabled());
        // the key from ~/.netrc for the API host, never shown by toString
        Path netrc = home.resolve(".netrc");
        Files.writeString(netrc, "machine other.host login api password nope\nmachine api.wandb.ai\n  login api\n  password " + KEY + "\n");
        WandbSettings fromNetrc = WandbSettings.from(Map.of(), netrc);
        assertEquals(KEY, fromNetrc.apiKey);
        assertFalse(fromNetrc.toString().contains(KEY));
        assertEquals(WandbSettings.Mode.DISABLED, WandbSettings.from(Map.of("WANDB_API_KEY", KEY, "WANDB_DISABLED", "true"), null).mode());
        var bad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> WandbSettings.from(Map.of("WANDB_PROJECT", "a/b"), null));
        assertTrue(bad.getMessage().contains("WANDB_PROJECT"), bad.getMessage());
        assertNull(WandbSettings.from(Map.of(), null).entity);
        // timeouts in seconds, as the SDK's finish_timeout and http timeout; the end of a run waits 5 s by default
        assertEquals(Duration.ofSeconds(5), WandbSettings.from(Map.of(), null).finishTimeout);
        assertEquals(Duration.ofMillis(500), WandbSettings.from(Map.of("WANDB_FINISH_TIMEOUT", "0.5"), null).finishTimeout);
        assertEquals(Duration.ofSeconds(30), WandbSettings.from(Map.of("WANDB_FINISH_TIMEOUT", " 30 "), null).finishTimeout);
        assertEquals(Duration.ofMillis(2500), WandbSettings.from(Map.of("WANDB_HTTP_TIMEOUT", "2.5"), null).httpTimeout);
        for (String wrong : List.of("5s", "-1", "NaN")) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> WandbSettings.from(Map.of("WANDB_FINISH_TIMEOUT", wrong), null));
            assertTrue(e.getMessage().contains("WANDB_FINISH_TIMEOUT") && e.getMessage().contains(wrong), e.getMessage());
        }
        assertEquals("https://wandb.ai/e/p/runs/r", WandbSettings.runUrl("https://api.wandb.ai", "e", "p", "r"));
    }

    @Test
    void theKeyIsInNoRunFileNoLogLineAndNoErrorMessage() throws Exception {
        wandb.fail("file_stream", 500, 400);
        Run run = run(settings(server.url("/").toString(), KEY), "secret");
        for (int step = 0; step < 5; step++) {
            run.log(step, Map.of("loss", (double) step, "chart", new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB)));
        }
        run.print("console line");
        run.finish(0);
        String url = server.url("/").toString();
        server.shutdown();
        WandbException down = org.junit.jupiter.api.Assertions.assertThrows(WandbException.class,
                () -> WandbSync.sync(run.dir(), settings(url, KEY).giveUpAfter(Duration.ofMillis(20))));
        logs.add(down.toString());
        for (Throwable t = down; t != null; t = t.getCause()) {
            logs.add(String.valueOf(t.getMessage()));
        }
        assertTrue(Files.list(run.dir().resolve("files/media/images")).count() >= 1);
        assertTrue(logs.stream().anyMatch(l -> l.contains("refused a batch")), logs.toString());
        assertNoKey(tmp, logs);
    }

    /** The key, and its Basic-auth form, appear in no file a run wrote and in no log line. */
    static void assertNoKey(Path root, List<String> logs, String... extraSecrets) throws IOException {
        List<String> secrets = new ArrayList<>(List.of(KEY,
                Base64.getEncoder().encodeToString(("api:" + KEY).getBytes(StandardCharsets.UTF_8))));
        secrets.addAll(List.of(extraSecrets));
        int scanned = 0;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                String content = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                for (String secret : secrets) {
                    assertFalse(content.contains(secret), "API key found in " + p);
                }
                scanned++;
            }
        }
        for (String line : logs) {
            for (String secret : secrets) {
                assertFalse(line.contains(secret), "API key found in log line: " + line);
            }
        }
        assertTrue(scanned > 0 || logs.isEmpty());
    }
}
