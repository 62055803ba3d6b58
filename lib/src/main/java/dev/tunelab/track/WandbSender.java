package dev.tunelab.track;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Works through a run's journal and sends it to W&amp;B: the run record becomes an UpsertBucket
 * (after a resume-status query when resuming), config records more upserts, history, summary and
 * console lines file_stream posts with line offsets, file records CreateRunFiles + PUT, the exit
 * record the final {@code complete} post. After each acknowledged step the place in the journal is
 * saved, so the background thread and {@code sync} share this one code path.
 */
final class WandbSender {
    static final String HISTORY = "wandb-history.jsonl";
    static final String SUMMARY = "wandb-summary.json";
    static final String CONSOLE = "output.log";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final WandbApi api;
    private final WandbJournal journal;
    private final Path runDir;
    private final WandbState state;
    private final Backoff backoff;
    private final Consumer<String> warn;
    private String viewerEntity;
    private volatile boolean stopRequested;
    private boolean warnedDrop;
    private final int maxLineBytes;
    private final int maxPostBytes;

    WandbSender(WandbSettings settings, WandbJournal journal, Path runDir, BooleanSupplier cancelled) {
        this.api = new WandbApi(settings);
        this.journal = journal;
        this.runDir = runDir;
        this.state = journal.readState();
        this.backoff = new Backoff(settings.initialBackoff, settings.maxBackoff, settings.giveUpAfter, cancelled);
        this.warn = settings.log;
        this.maxLineBytes = settings.maxLineBytes;
        this.maxPostBytes = settings.maxPostBytes;
    }

    WandbState state() {
        return state;
    }

    /** Called once with the error when a call first fails in a way that is retried. */
    WandbSender onFirstFailure(Consumer<WandbException> action) {
        backoff.onFirstFailure(action);
        return this;
    }

    /** The run finished: retries from now on must fit in {@code budget} (see {@link Backoff#finishBy}). */
    void finishBy(Duration budget) {
        api.deadline(System.nanoTime() + budget.toNanos());
        backoff.finishBy(budget);
    }

    /** Cancels the HTTP call in flight; called from another thread once the finish budget is spent. */
    void cancel() {
        api.cancelAll();
    }

    /** Releases the HTTP client's connections and threads. */
    void close() {
        api.close();
    }

    /** True once the server answered {@code "stopped": true} (stop pressed in the W&amp;B UI). */
    boolean stopRequested() {
        return stopRequested;
    }

    /** Checks the key and learns the default entity; a bad key fails here, before anything else is sent. */
    void begin() throws WandbException {
        JsonNode viewer = backoff.run("viewer query",
                () -> api.graphql("Viewer", WandbApi.VIEWER, JSON.createObjectNode())).path("viewer");
        viewerEntity = viewer.path("entity").isTextual() ? viewer.path("entity").asText() : null;
    }

    /** Sends these journal records (consecutive, in order, starting where the state stands). */
    void process(List<WandbJournal.Entry> entries) throws WandbException, IOException {
        Stream pending = new Stream();
        for (int i = 0; i < entries.size(); i++) {
            WandbJournal.Entry e = entries.get(i);
            if (e.seq() < state.records) {
                continue; // already acknowledged in an earlier session
            }
            switch (e.type()) {
                case "history", "summary", "console" -> {
                    if (!pending.add(e, maxLineBytes)) {
                        warn.accept("tunelab: W&B: a " + e.type() + " line of the run is over " + maxLineBytes
                                + " bytes and is not sent (it stays in the local run record)");
                    }
                    if (pending.bytes > maxPostBytes) {
                        flush(pending);
                    }
                }
                case "config" -> {
                    flush(pending);
                    boolean laterConfig = entries.subList(i + 1, entries.size()).stream()
                            .anyMatch(x -> x.type().equals("config"));
                    if (!laterConfig) { // consecutive changes in one batch: only the last is sent
                        upsertConfig(e.json().path("config").asText());
                    }
                    advance(e.seq());
                }
                case "run" -> {
                    flush(pending);
                    upsertRun(e.json());
                    advance(e.seq());
                }
                case "file" -> {
                    flush(pending);
                    upload(e.json().path("name").asText(), runDir.resolve(e.json().path("path").asText()));
                    advance(e.seq());
                }
                case "exit" -> {
                    flush(pending);
                    complete(e.json().path("code").asInt());
                    advance(e.seq());
                }
                default -> throw new IOException(journal.file() + " record " + (e.seq() + 1) + ": unknown type '"
                        + e.type() + "'");
            }
        }
        flush(pending);
    }

    /** Tells the server the run is alive when nothing else was sent for a while. */
    void heartbeat() throws WandbException, IOException {
        if (state.run == null || state.complete) {
            return;
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("complete", false);
        body.put("failed", false);
        body.put("dropped", state.dropped);
        body.set("uploaded", uploadedArray());
        post(body);
        state.uploaded.clear();
        journal.writeState(state);
    }

    /** Marks a journal that ended without an exit record (a killed run) as failed: exit code 1. */
    void completeIfUnfinished() throws WandbException, IOException {
        if (!state.complete && state.run != null) {
            complete(1);
        }
    }

    private void upsertRun(ObjectNode run) throws WandbException, IOException {
        String entity = text(run, "entity") != null ? text(run, "entity") : viewerEntity;
        // UNCONFIRMED default project: name it explicitly rather than rely on the server's choice.
        String project = text(run, "project") != null ? text(run, "project") : "uncategorized";
        String name = run.path("run").asText();
        if (run.path("resume").asBoolean() && state.records == 0 && state.history == 0) {
            ObjectNode vars = JSON.createObjectNode().put("project", project).put("entity", entity).put("name", name);
            JsonNode bucket = backoff.run("resume status",
                    () -> api.graphql("RunResumeStatus", WandbApi.RESUME_STATUS, vars)).path("model").path("bucket");
            if (bucket.isObject()) { // the run exists: continue its streams where the server's stop
                state.history = bucket.path("historyLineCount").asLong();
                state.console = bucket.path("logLineCount").asLong();
            }
        }
        ObjectNode vars = JSON.createObjectNode();
        vars.put("name", name);
        vars.put("project", project);
        vars.put("entity", entity);
        for (String[] f : new String[][] {{"displayName", "displayName"}, {"notes", "notes"},
                {"groupName", "group"}, {"jobType", "jobType"}, {"sweep", "sweep"}}) {
            if (text(run, f[1]) != null) {
                vars.put(f[0], text(run, f[1]));
            }
        }
        if (run.path("tags").isArray() && !run.path("tags").isEmpty()) {
            vars.set("tags", run.path("tags"));
        }
        vars.put("config", run.path("config").asText());
        JsonNode bucket = backoff.run("UpsertBucket",
                () -> api.graphql("UpsertBucket", WandbApi.UPSERT_BUCKET, vars)).path("upsertBucket").path("bucket");
        // Later URLs use the names the server returned.
        state.run = bucket.path("name").asText(name);
        state.project = bucket.path("project").path("name").asText(project);
        state.entity = bucket.path("project").path("entity").path("name").asText(entity);
        warn.accept("tunelab: W&B run " + WandbSettings.runUrl(api.baseUrl(), state.entity, state.project, state.run));
    }

    private void upsertConfig(String config) throws WandbException {
        ObjectNode vars = JSON.createObjectNode();
        vars.put("name", state.run);
        vars.put("project", state.project);
        vars.put("entity", state.entity);
        vars.put("config", config);
        backoff.run("UpsertBucket (config)", () -> api.graphql("UpsertBucket", WandbApi.UPSERT_BUCKET, vars));
    }

    private void upload(String name, Path file) throws WandbException {
        if (state.stored.contains(name)) {
            return;
        }
        if (!Files.isRegularFile(file)) {
            warn.accept("tunelab: W&B: run file " + file + " is gone; not uploaded");
            return;
        }
        ObjectNode vars = JSON.createObjectNode();
        vars.put("entity", state.entity).put("project", state.project).put("run", state.run);
        vars.putArray("files").add(name);
        JsonNode created = backoff.run("CreateRunFiles",
                () -> api.graphql("CreateRunFiles", WandbApi.CREATE_RUN_FILES, vars)).path("createRunFiles");
        if (created.path("runID").isNull() || created.path("runID").isMissingNode()) {
            throw new WandbException("CreateRunFiles: the run " + state.entity + "/" + state.project + "/" + state.run
                    + " does not exist or access is denied", 404, false, null);
        }
        List<String> headers = new ArrayList<>();
        created.path("uploadHeaders").forEach(h -> headers.add(h.asText()));
        for (JsonNode f : created.path("files")) {
            if (f.path("uploadUrl").isTextual()) { // null: the server has it already
                String url = f.path("uploadUrl").asText();
                try {
                    backoff.run("upload of " + name, () -> {
                        api.upload(url, headers, file);
                        return null;
                    });
                } catch (WandbException e) {
                    if (e.retryable() || e.gaveUp() != null) {
                        throw e; // not refused, only not reachable now: sync uploads it later
                    }
                    warn.accept("tunelab: W&B refused run file " + name + ": " + e.getMessage());
                    return;
                }
            }
        }
        state.stored.add(name);
        state.uploaded.add(name);
    }

    private void complete(int exitCode) throws WandbException, IOException {
        ObjectNode body = JSON.createObjectNode();
        body.put("complete", true);
        body.put("exitcode", exitCode);
        body.set("uploaded", uploadedArray());
        post(body);
        state.uploaded.clear();
        state.complete = true;
    }

    /** history/summary/console lines gathered for one file_stream post. */
    private static final class Stream {
        final List<String> history = new ArrayList<>();
        final List<String> console = new ArrayList<>();
        String summary;
        long lastSeq = -1;
        long bytes;

        /** Adds the record's line; false when it is too long and was left out. */
        boolean add(WandbJournal.Entry e, int maxLineBytes) {
            String line = e.json().path("line").asText();
            lastSeq = e.seq();
            if (line.getBytes(StandardCharsets.UTF_8).length > maxLineBytes) {
                return false; // dropped, and it takes no offset, so later lines keep their numbers on every replay
            }
            switch (e.type()) {
                case "history" -> history.add(line);
                case "console" -> console.add(line);
                default -> summary = line;
            }
            bytes += e.bytes();
            return true;
        }

        boolean isEmpty() {
            return lastSeq < 0;
        }
    }

    private void flush(Stream s) throws WandbException, IOException {
        if (s.isEmpty()) {
            return;
        }
        ObjectNode body = JSON.createObjectNode();
        ObjectNode files = body.putObject("files");
        if (!s.history.isEmpty()) {
            fileChunk(files, HISTORY, state.history, s.history);
        }
        if (s.summary != null) {
            fileChunk(files, SUMMARY, 0, List.of(s.summary));
        }
        if (!s.console.isEmpty()) {
            fileChunk(files, CONSOLE, state.console, s.console);
        }
        if (!state.uploaded.isEmpty()) {
            body.set("uploaded", uploadedArray());
        }
        if (files.isEmpty() && !body.has("uploaded")) {
            advance(s.lastSeq);
            return;
        }
        try {
            post(body);
            state.uploaded.clear();
        } catch (WandbException e) {
            if (e.retryable() || e.gaveUp() != null) {
                throw e; // gave up retrying: keep the place, sync sends it later
            }
            // A final refusal (400/403/404/409...): the SDK drops the chunk and counts it.
            state.dropped++;
            if (!warnedDrop) {
                warnedDrop = true;
                warn.accept("tunelab: W&B refused a batch of run data (" + e.getMessage()
                        + "); it stays in the local run record");
            }
        }
        state.history += s.history.size();
        state.console += s.console.size();
        advance(s.lastSeq);
        s.history.clear();
        s.console.clear();
        s.summary = null;
        s.lastSeq = -1;
        s.bytes = 0;
    }

    private static void fileChunk(ObjectNode files, String name, long offset, List<String> lines) {
        ObjectNode f = files.putObject(name);
        f.put("offset", offset);
        ArrayNode content = f.putArray("content");
        lines.forEach(content::add);
    }

    private void post(ObjectNode body) throws WandbException {
        JsonNode response = backoff.run("file_stream",
                () -> api.fileStream(state.entity, state.project, state.run, body));
        if (response.path("stopped").asBoolean(false)) {
            stopRequested = true;
        }
    }

    private ArrayNode uploadedArray() {
        ArrayNode a = JSON.createArrayNode();
        state.uploaded.forEach(a::add);
        return a;
    }

    private void advance(long seq) throws IOException {
        state.records = seq + 1;
        journal.writeState(state);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isTextual() && !v.asText().isEmpty() ? v.asText() : null;
    }
}
