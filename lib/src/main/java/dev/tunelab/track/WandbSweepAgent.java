package dev.tunelab.track;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A W&amp;B sweep agent that runs its trials in this process, as {@code wandb.agent(sweep_id,
 * function=...)} does in Python: W&amp;B's sweep controller picks each trial's parameters, so many
 * machines can share one sweep without a scheduler of ours. The calls follow the SDK's internal API
 * (wandb {@code internal_api.py}: {@code UpsertSweep}, {@code CreateAgent}, {@code Heartbeat}); they
 * are not in the protocol note, so they are UNCONFIRMED against today's server.
 *
 * <p>The loop: register the agent, then heartbeat with the runs in progress ({@code {"<run id>":
 * true}}, or {@code {}} when idle, which asks for work). A {@code run} or {@code resume} command
 * carries a run id and {@code args} ({@code {"lr": {"value": 0.001}}}); the trial runs with that
 * config and reports to W&amp;B under that run id and sweep. {@code exit} ends the agent; {@code stop}
 * for the running trial is noted (a trial in this process cannot be killed safely, so it finishes).
 */
final class WandbSweepAgent {
    static final String UPSERT_SWEEP = """
            mutation UpsertSweep($id: ID, $config: String, $description: String, $entityName: String!, \
            $projectName: String!, $controller: JSONString, $scheduler: JSONString) {
              upsertSweep(input: {id: $id, config: $config, description: $description, entityName: $entityName, \
            projectName: $projectName, controller: $controller, scheduler: $scheduler}) {
                sweep { name project { id name entity { id name } } }
              }
            }""";

    static final String CREATE_AGENT = """
            mutation CreateAgent($host: String!, $projectName: String!, $entityName: String!, $sweep: String!) {
              createAgent(input: {host: $host, projectName: $projectName, entityName: $entityName, sweep: $sweep}) {
                agent { id }
              }
            }""";

    static final String HEARTBEAT = """
            mutation Heartbeat($id: ID!, $metrics: JSONString, $runState: JSONString) {
              agentHeartbeat(input: {id: $id, metrics: $metrics, runState: $runState}) {
                agent { id }
                commands
              }
            }""";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The Python agent polls every 5 s (wandb {@code agent.py}, {@code POLL_INTERVAL}). */
    static final Duration DEFAULT_POLL = Duration.ofSeconds(5);

    private final WandbSettings settings;
    private final WandbApi api;
    private final Backoff backoff;
    private final Duration poll;

    WandbSweepAgent(WandbSettings settings, Duration poll) {
        if (settings.mode != WandbSettings.Mode.ONLINE || settings.apiKey == null) {
            throw new IllegalStateException("a W&B sweep needs online W&B with an API key (WANDB_API_KEY); settings: " + settings);
        }
        this.settings = settings;
        this.api = new WandbApi(settings);
        this.backoff = new Backoff(settings.initialBackoff, settings.maxBackoff, settings.giveUpAfter, () -> false);
        this.poll = poll;
    }

    /** Creates the sweep on the server; returns its id ({@code wandb agent <id>} takes the same). */
    String create(Map<String, Object> sweepConfig) {
        ObjectNode vars = JSON.createObjectNode();
        vars.putNull("id");
        // The SDK sends YAML; JSON is YAML, so the JSON text is a valid config for the server.
        vars.put("config", json(sweepConfig));
        Object description = sweepConfig.get("description");
        if (description == null) {
            vars.putNull("description");
        } else {
            vars.put("description", description.toString());
        }
        vars.put("entityName", entity());
        vars.put("projectName", project());
        vars.putNull("controller");
        vars.putNull("scheduler");
        JsonNode data = call("UpsertSweep", UPSERT_SWEEP, vars);
        String id = data.path("upsertSweep").path("sweep").path("name").asText(null);
        if (id == null) {
            throw new IllegalStateException("W&B UpsertSweep answered without a sweep name: " + data);
        }
        return id;
    }

    /**
     * Asks the controller of sweep {@code sweepId} for trials and runs them until it says exit or
     * {@code count} trials ran ({@code count <= 0}: no limit).
     */
    List<SweepResult.Outcome> run(String sweepId, String sweepName, int count, Function<Trial, Map<String, ?>> objective) {
        String agentId = register(sweepId);
        List<SweepResult.Outcome> outcomes = new ArrayList<>();
        while (count <= 0 || outcomes.size() < count) {
            List<JsonNode> commands = heartbeat(agentId, Map.of());
            JsonNode command = commands.stream()
                    .filter(c -> List.of("run", "resume", "exit").contains(c.path("type").asText()))
                    .findFirst().orElse(null);
            if (command == null) {
                sleep(poll);
                continue;
            }
            if (command.path("type").asText().equals("exit")) {
                break;
            }
            String runId = command.path("run_id").asText();
            Trial trial = new Trial(sweepName, outcomes.size(), args(command.path("args")), settings.copy().runId(runId).sweepId(sweepId));
            boolean exitAfter = runTrial(agentId, trial, runId, objective, outcomes);
            if (exitAfter) {
                break;
            }
        }
        return outcomes;
    }

    /** Runs one trial while a background thread keeps heartbeating for it; true if told to exit. */
    private boolean runTrial(String agentId, Trial trial, String runId, Function<Trial, Map<String, ?>> objective,
                             List<SweepResult.Outcome> outcomes) {
        ScheduledExecutorService beat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wandb-sweep-heartbeat");
            t.setDaemon(true);
            return t;
        });
        AtomicBoolean exit = new AtomicBoolean();
        beat.scheduleWithFixedDelay(() -> {
            try {
                for (JsonNode c : heartbeat(agentId, Map.of(runId, true))) {
                    String type = c.path("type").asText();
                    if (type.equals("exit")) {
                        exit.set(true);
                    } else if (type.equals("stop")) {
                        settings.log.accept("tunelab: W&B asked to stop trial " + trial.name() + " (run " + runId
                                + "); a trial in this process runs to its end");
                    }
                }
            } catch (RuntimeException e) {
                // a missed heartbeat must not end the trial; the next one tries again
                settings.log.accept("tunelab: W&B sweep heartbeat failed: " + e.getMessage());
            }
        }, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
        try {
            Map<String, Object> metrics = Metrics.flatten(objective.apply(trial), "trial " + trial.name() + " metric");
            outcomes.add(new SweepResult.Outcome(trial, metrics, null));
        } catch (RuntimeException e) {
            outcomes.add(new SweepResult.Outcome(trial, Map.of(), e.getClass().getSimpleName() + ": " + e.getMessage()));
        } finally {
            beat.shutdownNow();
            try {
                beat.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return exit.get();
    }

    private String register(String sweepId) {
        ObjectNode vars = JSON.createObjectNode();
        vars.put("host", host());
        vars.put("projectName", project());
        vars.put("entityName", entity());
        vars.put("sweep", sweepId);
        String id = call("CreateAgent", CREATE_AGENT, vars).path("createAgent").path("agent").path("id").asText(null);
        if (id == null) {
            throw new IllegalStateException("W&B CreateAgent for sweep " + sweepId + " answered without an agent id");
        }
        return id;
    }

    /** One heartbeat; the commands the controller sent (a JSON list inside a string). */
    private List<JsonNode> heartbeat(String agentId, Map<String, Boolean> runState) {
        ObjectNode vars = JSON.createObjectNode();
        vars.put("id", agentId);
        vars.put("metrics", "{}");
        vars.put("runState", json(runState));
        String commands = call("Heartbeat", HEARTBEAT, vars).path("agentHeartbeat").path("commands").asText("[]");
        List<JsonNode> list = new ArrayList<>();
        try {
            JsonNode parsed = JSON.readTree(commands.isBlank() ? "[]" : commands);
            parsed.forEach(list::add);
        } catch (IOException e) {
            throw new IllegalStateException("W&B Heartbeat: commands are not a JSON list: " + commands, e);
        }
        return list;
    }

    /** {@code {"lr": {"value": 0.001}, ...}} to {@code {lr=0.001, ...}}. */
    static Map<String, Object> args(JsonNode args) {
        Map<String, Object> config = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = args.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue().has("value") ? e.getValue().get("value") : e.getValue();
            config.put(e.getKey(), JSON.convertValue(v, Object.class));
        }
        return config;
    }

    private JsonNode call(String operation, String query, ObjectNode vars) {
        try {
            return backoff.run(operation, () -> api.graphql(operation, query, vars));
        } catch (WandbException e) {
            throw new IllegalStateException("W&B " + operation + ": " + e.getMessage(), e);
        }
    }

    private String entity() {
        if (settings.entity != null) {
            return settings.entity;
        }
        JsonNode viewer = call("Viewer", WandbApi.VIEWER, JSON.createObjectNode()).path("viewer");
        if (!viewer.path("entity").isTextual()) {
            throw new IllegalStateException("W&B did not say the key's default entity; set WANDB_ENTITY");
        }
        settings.entity = viewer.path("entity").asText();
        return settings.entity;
    }

    private String project() {
        if (settings.project == null) {
            throw new IllegalStateException("a W&B sweep belongs to a project: set WANDB_PROJECT (or WandbSettings.project)");
        }
        return settings.project;
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the W&B sweep controller", e);
        }
    }
}
