package dev.tunelab.track;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Sends a run to Weights &amp; Biases. Every call is first appended to the run's journal
 * ({@code wandb/journal.jsonl}, see {@link WandbJournal}); online, a background thread sends the
 * journal through {@link WandbSender} in batches, so the training thread never waits for the
 * network. Offline, or after the server stayed unreachable or refused the key, the journal is
 * all there is, and {@link WandbSync} uploads it later. One warning per problem, never the key:
 * the first failed request warns at once (not only at the end), and the end of the run waits at
 * most {@link WandbSettings#finishTimeout(Duration)} for the upload before leaving the rest to sync.
 */
final class WandbSink implements RunSink {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How long a cancelled sender may take to notice; a cancelled call or wait ends in milliseconds. */
    private static final long CANCEL_GRACE_MILLIS = 1000;

    private final WandbSettings settings;
    private WandbJournal journal;
    private SpillQueue queue;
    private Thread thread;
    private Path runDir;
    private long startMillis;
    private volatile boolean cancelled;
    private volatile WandbSender sender;
    /** The sender got through the whole journal (the exit record included). */
    private volatile boolean drained;
    /** The sender stopped and already said why (bad key, refused call, retries given up). */
    private volatile boolean reported;
    /** System.nanoTime() when the finish budget ends; MAX_VALUE until the run ends. */
    private volatile long finishDeadline = Long.MAX_VALUE;
    private boolean journalBroken;
    private Map<String, Object> lastSummary = Map.of();

    WandbSink(WandbSettings settings) {
        this.settings = settings;
    }

    @Override
    public void started(RunInfo info) {
        runDir = info.dir();
        startMillis = info.startMillis();
        journal = WandbJournal.open(runDir);
        if (journal.records() == 0) {
            append(runRecord(info));
        } else {
            append(JSON.createObjectNode().put("type", "config").put("config", wrapConfig(info.config())));
        }
        if (settings.mode == WandbSettings.Mode.OFFLINE) {
            settings.log.accept("tunelab: W&B offline: the run is kept in " + runDir.resolve(WandbJournal.DIR)
                    + "; upload it later with WandbSync");
            return;
        }
        WandbState state = journal.readState();
        long position;
        try {
            position = journal.positionOf(state.records);
        } catch (IOException e) {
            settings.log.accept("tunelab: W&B journal unreadable, nothing will be sent: " + e.getMessage());
            return;
        }
        queue = new SpillQueue(journal, settings.queueCapacity, state.records, position);
        sender = new WandbSender(settings, journal, runDir, () -> cancelled).onFirstFailure(this::firstFailure);
        thread = new Thread(this::send, "tunelab-wandb-" + info.id());
        thread.setDaemon(true); // never keeps a finished program alive; the journal keeps what was not sent
        thread.start();
    }

    @Override
    public void config(Map<String, Object> config) {
        append(JSON.createObjectNode().put("type", "config").put("config", wrapConfig(config)));
    }

    @Override
    public void history(long step, Map<String, Object> metrics) {
        Map<String, Object> row = new LinkedHashMap<>();
        long now = System.currentTimeMillis();
        row.put("_step", step);
        row.put("_timestamp", now / 1000.0);
        row.put("_runtime", (now - startMillis) / 1000.0);
        row.putAll(metrics);
        append(JSON.createObjectNode().put("type", "history").put("line", line(row)));
    }

    @Override
    public void summary(Map<String, Object> summary) {
        lastSummary = new LinkedHashMap<>(summary);
        append(JSON.createObjectNode().put("type", "summary").put("line", line(summary)));
    }

    @Override
    public void file(String name, Path path) {
        Path abs = path.toAbsolutePath().normalize();
        Path root = runDir.toAbsolutePath().normalize();
        String rel = abs.startsWith(root) ? root.relativize(abs).toString() : abs.toString();
        append(JSON.createObjectNode().put("type", "file").put("name", name).put("path", rel.replace('\\', '/')));
    }

    @Override
    public void console(String line, boolean error) {
        // output.log lines: [ERROR ]<UTC ISO timestamp> <text>\n (protocol note section 3)
        append(JSON.createObjectNode().put("type", "console")
                .put("line", (error ? "ERROR " : "") + Instant.now() + " " + line + "\n"));
    }

    @Override
    public void finished(int exitCode) {
        double runtime = (System.currentTimeMillis() - startMillis) / 1000.0;
        // at exit the summary also gets _wandb: {"runtime": seconds} (protocol note section 3)
        Map<String, Object> summary = new LinkedHashMap<>(lastSummary);
        summary.put("_wandb", Map.of("runtime", runtime));
        append(JSON.createObjectNode().put("type", "summary").put("line", line(summary)));
        append(JSON.createObjectNode().put("type", "exit").put("code", exitCode).put("runtime", runtime));
    }

    /**
     * Gives the sender at most the finish timeout to send what is left, then cancels it (a call in
     * flight included: a silent server would hold it for the whole HTTP timeout) and leaves the
     * rest in the journal for {@link WandbSync}. Never waits longer: a sweep of many runs against
     * an unreachable server loses seconds per run, not minutes.
     */
    @Override
    public void close() {
        if (queue != null) {
            finishDeadline = System.nanoTime() + settings.finishTimeout.toNanos();
            sender.finishBy(settings.finishTimeout); // retries from now on must fit in the budget
            queue.close();
            join(settings.finishTimeout.toMillis());
            if (thread.isAlive()) {
                cancelled = true;
                sender.cancel();
                thread.interrupt();
                join(CANCEL_GRACE_MILLIS);
            }
            if (!drained && !reported) {
                settings.log.accept("tunelab: W&B upload not done within " + seconds(settings.finishTimeout)
                        + " of the run's end (the server did not answer in time, or kept failing); the rest is kept in "
                        + runDir.resolve(WandbJournal.DIR) + ": upload it with WandbSync " + runDir);
            }
            queue = null;
        }
        if (journal != null) {
            journal.close();
        }
    }

    private void join(long millis) {
        try {
            thread.join(Math.max(1, millis)); // join(0) would wait for ever
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String seconds(Duration d) {
        return BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString() + " s";
    }

    /** True once W&amp;B asked the run to stop (the stop button in its UI). */
    @Override
    public boolean stopRequested() {
        WandbSender s = sender;
        return s != null && s.stopRequested();
    }

    /** The first failed request: warn now, while the run goes on, rather than only at its end. */
    private void firstFailure(WandbException e) {
        if (System.nanoTime() >= finishDeadline) {
            return; // a call cut off by the end of the budget: close() says what is left, once
        }
        settings.log.accept("tunelab: W&B: " + e.getMessage() + ". Retrying with backoff; training is not held up,"
                + " and whatever cannot be sent stays in " + runDir.resolve(WandbJournal.DIR) + " for WandbSync.");
    }

    private void send() {
        WandbSender s = sender;
        try {
            s.begin();
            long lastPost = System.nanoTime();
            while (!queue.closedAndDrained()) {
                var batch = queue.take(1000, settings.heartbeat.toNanos());
                if (batch.isEmpty()) {
                    if (System.nanoTime() - lastPost >= settings.heartbeat.toNanos()) {
                        s.heartbeat();
                        lastPost = System.nanoTime();
                    }
                    continue;
                }
                s.process(batch);
                lastPost = System.nanoTime();
                queue.pause(interval().toNanos());
            }
            drained = true;
        } catch (WandbException e) {
            if (cancelled || e.gaveUp() == WandbException.GaveUp.FINISH_BUDGET) {
                return; // close() says where the rest is
            }
            reported = true;
            if (e.badKey()) {
                settings.log.accept("tunelab: W&B rejected the API key (HTTP 401 from " + settings.baseUrl
                        + "). Tracking continues locally in " + runDir + "; fix WANDB_API_KEY (or ~/.netrc) and run"
                        + " WandbSync on that folder to upload it.");
            } else {
                settings.log.accept("tunelab: W&B upload stopped (" + e.getMessage() + "). Tracking continues"
                        + " locally in " + runDir + "; WandbSync uploads the rest later.");
            }
        } catch (IOException e) {
            reported = true;
            settings.log.accept("tunelab: W&B journal in " + runDir + " unreadable: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            s.close();
        }
    }

    /** Time between file_stream posts: fixed if set, else the SDK's 2 s / 10 s / 30 s by run age. */
    private Duration interval() {
        if (settings.streamInterval != null) {
            return settings.streamInterval;
        }
        long age = TimeUnit.MILLISECONDS.toSeconds(System.currentTimeMillis() - startMillis);
        return Duration.ofSeconds(age < 60 ? 2 : age < 300 ? 10 : 30);
    }

    private ObjectNode runRecord(RunInfo info) {
        ObjectNode r = JSON.createObjectNode().put("type", "run");
        r.put("run", settings.runId != null ? settings.runId : randomId());
        r.put("resume", settings.runId != null);
        r.put("entity", settings.entity);
        r.put("project", settings.project);
        r.put("displayName", settings.displayName != null ? settings.displayName : info.id());
        r.put("notes", settings.notes);
        r.put("group", settings.group);
        r.put("jobType", settings.jobType);
        r.put("sweep", settings.sweepId);
        settings.tags.forEach(r.withArray("tags")::add);
        r.put("config", wrapConfig(info.config()));
        return r;
    }

    /** Run ids: 8 random characters from [a-z0-9] (protocol note section 1). */
    static String randomId() {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    /** The config as W&amp;B stores it: every key as {"value": v, "desc": null}, plus "_wandb" metadata. */
    private String wrapConfig(Map<String, Object> config) {
        ObjectNode wrapped = JSON.createObjectNode();
        config.forEach((k, v) -> wrapped.putObject(k).putNull("desc").set("value", JSON.valueToTree(v)));
        wrapped.putObject("_wandb").putNull("desc").putObject("value").put("start_time", startMillis / 1000.0);
        return wrapped.toString();
    }

    private static String line(Map<String, Object> values) {
        try {
            return Run.LINE.writeValueAsString(values); // NaN and infinities as bare tokens
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write metrics as JSON: " + e.getOriginalMessage(), e);
        }
    }

    private void append(ObjectNode record) {
        if (journal == null) {
            return;
        }
        try {
            WandbJournal.Entry e = journal.append(record);
            if (queue != null) {
                queue.add(e);
            }
        } catch (IOException e) {
            if (!journalBroken) {
                journalBroken = true;
                settings.log.accept("tunelab: cannot append to " + journal.file() + ": " + e.getMessage());
            }
        }
    }
}
