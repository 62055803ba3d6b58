package dev.tunelab.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-process W&amp;B sweep agent against a fake sweep controller (see {@link FakeWandb}). */
class WandbSweepAgentTest {
    static final String KEY = "0123456789abcdef0123456789abcdef01234567";
    static final Duration POLL = Duration.ofMillis(5);
    @TempDir Path tmp;
    MockWebServer server;
    FakeWandb wandb;
    final List<String> logs = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = new MockWebServer();
        wandb = new FakeWandb(KEY);
        server.setDispatcher(wandb);
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.shutdown();
    }

    WandbSettings settings() {
        // No entity: the sweep and agent calls must ask the key's default entity (Viewer).
        return WandbSettings.online(server.url("/").toString(), KEY).project("proj")
                .backoff(Duration.ofMillis(1), Duration.ofMillis(4)).giveUpAfter(Duration.ofSeconds(3))
                .streamInterval(Duration.ZERO).finishTimeout(Duration.ofSeconds(20)).log(logs::add);
    }

    Sweep sweep() {
        return Sweep.grid(SweepSpace.create().values("lr", 1e-3, 3e-3).values("rank", 4, 8)).name("agent").minimize("loss");
    }

    @Test
    void createsTheSweepWithItsConfigInTheKeysEntity() throws Exception {
        assertEquals("sw1", sweep().createWandbSweep(settings()));
        JsonNode vars = FakeWandb.body(wandb.requests("UpsertSweep").get(0)).path("variables");
        assertEquals("default-entity", vars.path("entityName").asText());
        assertEquals("proj", vars.path("projectName").asText());
        JsonNode config = new ObjectMapper().readTree(vars.path("config").asText());
        assertEquals("grid", config.path("method").asText());
        assertEquals("loss", config.path("metric").path("name").asText());
        assertEquals("minimize", config.path("metric").path("goal").asText());
        assertEquals(2, config.path("parameters").path("lr").path("values").size());
        assertTrue(config.path("command").isMissingNode(), "an in-process sweep has no command to run");
    }

    @Test
    void runsTheTrialsTheControllerHandsOutUnderItsRunIdsUntilExit() throws Exception {
        wandb.sweepArgs.add("{\"lr\": {\"value\": 0.003}, \"rank\": {\"value\": 8}}");
        wandb.sweepArgs.add("{\"lr\": {\"value\": 0.001}, \"rank\": {\"value\": 4}}");
        List<String> seenRunIds = new ArrayList<>();
        SweepResult result = sweep().runWandbAgent("sw1", settings(), 0, POLL, trial -> {
            seenRunIds.add(trial.wandb().runId);
            Run run = trial.run(tmp.resolve("runs"));
            double loss = trial.getDouble("lr") * trial.getInt("rank");
            run.log(1, Map.of("loss", loss));
            run.finish(0);
            return Map.of("loss", loss);
        });

        // Two trials, in the controller's order, with its parameters; then the agent stopped on "exit".
        assertEquals(List.of("sweep-run-1", "sweep-run-2"), seenRunIds);
        assertEquals(2, result.table().rowCount());
        assertEquals(0.004, (double) result.best().orElseThrow().metrics().get("loss"), 1e-12);
        assertEquals(Map.of("lr", 0.001, "rank", 4), result.best().orElseThrow().trial().config());
        JsonNode agent = FakeWandb.body(wandb.requests("CreateAgent").get(0)).path("variables");
        assertEquals("sw1", agent.path("sweep").asText());
        assertEquals("default-entity", agent.path("entityName").asText());
        assertEquals("proj", agent.path("projectName").asText());
        // Each trial's run was created under the controller's run id, as part of the sweep, with its config.
        List<RecordedRequest> upserts = wandb.requests("UpsertBucket");
        List<String> names = upserts.stream().map(r -> FakeWandb.body(r).path("variables").path("name").asText()).distinct().toList();
        assertEquals(List.of("sweep-run-1", "sweep-run-2"), names);
        for (RecordedRequest r : upserts) {
            JsonNode v = FakeWandb.body(r).path("variables");
            assertEquals("sw1", v.path("sweep").asText());
        }
        JsonNode firstConfig = new ObjectMapper().readTree(FakeWandb.body(upserts.get(0)).path("variables").path("config").asText());
        assertEquals(0.003, firstConfig.path("lr").path("value").asDouble(), 0);
        // Idle heartbeats ask for work with an empty run state; three asked (two trials, then exit).
        long idle = wandb.requests("Heartbeat").stream()
                .filter(r -> FakeWandb.body(r).path("variables").path("runState").asText().equals("{}")).count();
        assertEquals(3, idle);
        assertTrue(logs.stream().noneMatch(l -> l.contains(KEY)));
    }

    @Test
    void stopsAfterCountTrialsAndRecordsAFailedTrial() {
        wandb.sweepArgs.add("{\"lr\": {\"value\": 0.003}, \"rank\": {\"value\": 8}}");
        wandb.sweepArgs.add("{\"lr\": {\"value\": 0.001}, \"rank\": {\"value\": 4}}");
        SweepResult result = sweep().runWandbAgent("sw1", settings(), 1, POLL, trial -> {
            throw new IllegalStateException("diverged");
        });
        assertEquals(1, result.table().rowCount());
        assertEquals("failed: IllegalStateException: diverged", result.table().stringColumn("status").get(0));
        assertEquals(1, wandb.sweepRuns, "the second trial was never asked for");
    }

    @Test
    void needsOnlineWandbWithAKeyAndAProject() {
        var noKey = assertThrows(IllegalStateException.class, () -> sweep().createWandbSweep(WandbSettings.disabled()));
        assertTrue(noKey.getMessage().contains("WANDB_API_KEY"), noKey.getMessage());
        var noProject = assertThrows(IllegalStateException.class,
                () -> sweep().createWandbSweep(WandbSettings.online(server.url("/").toString(), KEY)));
        assertTrue(noProject.getMessage().contains("WANDB_PROJECT"), noProject.getMessage());
        assertNull(new Trial("s", 0, Map.of()).wandb());
    }
}
