package dev.tunelab.track;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.io.AtomicFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The record of one training run in {@code <runsDir>/<id>/}: {@code config.json} (settings, seed,
 * versions, data fingerprint), {@code history.jsonl} (one line of metrics per logged step,
 * appended and flushed), {@code summary.json} (latest numbers), {@code files/} (media, user files).
 * JSON files are replaced atomically; the history is append-only and flushed line by line, so a
 * killed process loses at most the line being written.
 *
 * <p>Everything recorded is also passed to the run's {@linkplain RunSink sinks} (Weights &amp;
 * Biases when {@code WANDB_API_KEY} is set, see {@link WandbSettings}). A failing sink never
 * stops the run.
 */
public final class Run implements AutoCloseable {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS).enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
    /** One JSON document per line; NaN and infinities as bare tokens, as W&amp;B's history lines have them. */
    static final ObjectMapper LINE = JsonMapper.builder().disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private final String id;
    private final String name;
    private final Path dir;
    private final ObjectNode config;
    private final List<Map<String, Object>> history = new ArrayList<>();
    private final Map<String, Object> summary = new LinkedHashMap<>();
    private final List<String> files = new ArrayList<>();
    private final List<RunSink> sinks = new ArrayList<>();
    private Path scratch; // files of an in-memory run
    private BufferedWriter historyOut;
    private boolean finished;

    private Run(String id, String name, Path dir, ObjectNode config) {
        this.id = id;
        this.name = name;
        this.dir = dir;
        this.config = config;
    }

    /** Starts describing a run; {@link Builder#start()} creates or reopens it. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * A new run with a fresh id ({@code yyyyMMdd-HHmmss-name-xxxx}); runsDir null keeps it in
     * memory only. Weights &amp; Biases is attached when the environment asks for it.
     */
    public static Run start(Path runsDir, String name, Map<String, Object> config) {
        return builder(name).runsDir(runsDir).config(config).start();
    }

    /**
     * Opens run {@code id}, creating it if new. An existing run is resumed: its history is read
     * back and then cut to steps at or before {@code keepUpToStep} (the checkpoint resumed from),
     * so replayed steps are not recorded twice.
     */
    public static Run resume(Path runsDir, String id, Map<String, Object> config, long keepUpToStep) {
        return builder(id).runsDir(runsDir).id(id).config(config).keepUpToStep(keepUpToStep).start();
    }

    /** How to start a run: where, its name and id, its config, its sinks. */
    public static final class Builder {
        private final String name;
        private Path runsDir = Path.of("runs");
        private String id;
        private Map<String, Object> config = Map.of();
        private long keepUpToStep = Long.MAX_VALUE;
        private final List<RunSink> sinks = new ArrayList<>();
        private WandbSettings wandb; // null: from the environment

        private Builder(String name) {
            this.name = name;
        }

        /** Where run folders go (default {@code runs}); null keeps the run in memory. */
        public Builder runsDir(Path v) { runsDir = v; return this; }
        /** Reopen (resume) this run id instead of making a new one. */
        public Builder id(String v) { id = v; return this; }
        public Builder config(Map<String, ?> v) { config = new LinkedHashMap<>(v); return this; }
        /** When resuming, forget history rows after this step (the checkpoint resumed from). */
        public Builder keepUpToStep(long v) { keepUpToStep = v; return this; }
        /** One more sink (several allowed). */
        public Builder sink(RunSink v) { sinks.add(v); return this; }
        /** W&amp;B settings to use instead of the environment's; {@link WandbSettings#disabled()} turns W&amp;B off. */
        public Builder wandb(WandbSettings v) { wandb = v; return this; }

        public Run start() {
            String runId = id != null ? id
                    : LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
                            + name.replaceAll("[^A-Za-z0-9_.-]", "_") + "-"
                            + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
            Run run = open(runsDir, runId, name, config);
            boolean resumed = !run.history.isEmpty() || !run.summary.isEmpty();
            if (resumed && keepUpToStep != Long.MAX_VALUE) {
                run.history.removeIf(h -> ((Number) h.get("step")).longValue() > keepUpToStep);
                if (run.dir != null) {
                    run.rewriteHistory();
                }
            }
            run.sinks.addAll(sinks);
            WandbSettings w = wandb != null ? wandb : environmentWandb();
            if (w.enabled()) {
                run.sinks.add(new WandbSink(w));
            }
            if (!run.sinks.isEmpty()) {
                RunInfo info = new RunInfo(run.id, name, run.filesRoot().getParent(), run.configMap(),
                        System.currentTimeMillis(), resumed);
                run.each(s -> s.started(info));
            }
            return run;
        }
    }

    /** W&B as the environment asks; a malformed variable is reported and W&B left off (training goes on). */
    private static WandbSettings environmentWandb() {
        try {
            return WandbSettings.fromEnvironment();
        } catch (RuntimeException e) {
            warn("W&B left off: " + e.getMessage());
            return WandbSettings.disabled();
        }
    }

    private static Run open(Path runsDir, String id, String name, Map<String, Object> config) {
        ObjectNode node = JSON.valueToTree(config);
        node.set("_tunelab", JSON.valueToTree(Versions.all()));
        Run run = new Run(id, name, runsDir == null ? null : runsDir.resolve(id), node);
        if (run.dir != null) {
            try {
                Files.createDirectories(run.dir.resolve("files"));
                run.readBack();
                AtomicFiles.writeString(run.dir.resolve("config.json"), JSON.writeValueAsString(node));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write run record in " + run.dir, e);
            }
        }
        return run;
    }

    public String id() {
        return id;
    }

    public String name() {
        return name;
    }

    /** The run's folder, or null for an in-memory run. */
    public Path dir() {
        return dir;
    }

    public JsonNode config() {
        return config;
    }

    /** The config as plain Java maps, lists, numbers and strings. */
    @SuppressWarnings("unchecked")
    public synchronized Map<String, Object> configMap() {
        return JSON.convertValue(config, LinkedHashMap.class);
    }

    /** Adds or replaces config values (nested maps allowed) and rewrites config.json. */
    public synchronized void config(Map<String, ?> updates) {
        updates.forEach((k, v) -> config.set(k, JSON.valueToTree(v)));
        if (dir != null) {
            try {
                AtomicFiles.writeString(dir.resolve("config.json"), JSON.writeValueAsString(config));
            } catch (IOException e) {
                warn("could not write " + dir.resolve("config.json") + ": " + e.getMessage());
            }
        }
        Map<String, Object> whole = configMap();
        each(s -> s.config(whole));
    }

    /**
     * Appends one history line: {@code {"step": step, ...metrics}}. Nested maps are flattened
     * with '.' ({@code eval.loss}); images ({@code BufferedImage}), XChart charts and Tablesaw
     * tables are saved under {@code files/media/} and the row keeps a reference to the file.
     */
    public synchronized void log(long step, Map<String, ?> metrics) {
        Map<String, Object> flat = Metrics.flatten(metrics, "metric");
        if (flat.containsKey("step")) {
            throw new IllegalArgumentException("metric 'step' is reserved: it is the first argument of log(step, metrics)");
        }
        List<Media> media = new ArrayList<>();
        for (Map.Entry<String, Object> e : flat.entrySet()) {
            if (Media.isMedia(e.getValue())) {
                Media m = Media.save(filesRoot(), e.getKey(), step, e.getValue());
                media.add(m);
                e.setValue(m.reference());
            }
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", step);
        row.putAll(flat);
        history.add(row);
        if (dir != null) {
            try {
                if (historyOut == null) {
                    historyOut = Files.newBufferedWriter(dir.resolve("history.jsonl"), StandardCharsets.UTF_8,
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                }
                historyOut.write(LINE.writeValueAsString(row));
                historyOut.write('\n');
                historyOut.flush();
            } catch (IOException e) {
                // Tracking must never stop training: report and keep the in-memory history.
                warn("could not append to " + dir.resolve("history.jsonl") + ": " + e.getMessage());
            }
        }
        for (Media m : media) {
            files.add(m.name());
            each(s -> s.file(m.name(), filesRoot().resolve(m.name())));
        }
        each(s -> s.history(step, flat));
    }

    /** Sets summary values (final loss, eval metrics; nested maps flattened) and rewrites summary.json atomically. */
    public synchronized void summary(Map<String, ?> values) {
        summary.putAll(Metrics.flatten(values, "summary"));
        summary.values().removeIf(Media::isMedia);
        if (dir != null) {
            try {
                AtomicFiles.writeString(dir.resolve("summary.json"), JSON.writeValueAsString(summary));
            } catch (IOException e) {
                warn("could not write " + dir.resolve("summary.json") + ": " + e.getMessage());
            }
        }
        Map<String, Object> whole = summary();
        each(s -> s.summary(whole));
    }

    public synchronized Map<String, Object> summary() {
        return new LinkedHashMap<>(summary);
    }

    /** Saves bytes as run file {@code files/<name>} (e.g. {@code "adapter/adapter_config.json"}) and returns its path. */
    public synchronized Path saveFile(String name, byte[] bytes) {
        Path target = filesRoot().resolve(name).normalize();
        if (!target.startsWith(filesRoot()) || name.isBlank()) {
            throw new IllegalArgumentException("run file name '" + name + "' must be a relative path inside files/");
        }
        try {
            AtomicFiles.write(target, out -> out.write(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save run file " + target, e);
        }
        String rel = filesRoot().relativize(target).toString().replace('\\', '/');
        files.add(rel);
        each(s -> s.file(rel, target));
        return target;
    }

    /** Copies an existing file into the run as {@code files/<its file name>}. */
    public Path saveFile(Path source) {
        try {
            return saveFile(source.getFileName().toString(), Files.readAllBytes(source));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + source + " to save it with run " + id, e);
        }
    }

    /** The run files saved so far, as names under {@code files/}. */
    public synchronized List<String> files() {
        return List.copyOf(files);
    }

    /** A line of console output kept with the run (W&amp;B shows it as the run's logs). */
    public synchronized void print(String line) {
        each(s -> s.console(line, false));
    }

    /** True when a sink was asked to stop the run (the stop button in the W&amp;B UI); a training loop should end cleanly. */
    public synchronized boolean stopRequested() {
        return sinks.stream().anyMatch(RunSink::stopRequested);
    }

    /** Every logged row, oldest first. */
    public synchronized List<Map<String, Object>> history() {
        return new ArrayList<>(history);
    }

    /** The history as a table: one row per logged step, one column per metric. */
    public RunHistory historyTable() {
        return new RunHistory(id, history());
    }

    /** Records the exit code (0 = finished), tells the sinks (W&amp;B marks the run finished or failed) and closes. */
    public synchronized void finish(int exitCode) {
        if (finished) {
            return;
        }
        finished = true;
        summary(Map.of("_exit_code", exitCode));
        each(s -> s.finished(exitCode));
        close();
    }

    /** Flushes and closes the history file and the sinks; the run can be reopened with {@link Builder#id}. */
    @Override
    public synchronized void close() {
        if (historyOut != null) {
            try {
                historyOut.close();
            } catch (IOException ignored) {
                // the lines were flushed as they were written
            }
            historyOut = null;
        }
        each(RunSink::close);
        sinks.clear();
    }

    /** Where run files go: {@code <dir>/files}, or a temporary folder for an in-memory run. */
    private Path filesRoot() {
        if (dir != null) {
            return dir.resolve("files");
        }
        if (scratch == null) {
            try {
                scratch = Files.createTempDirectory("tunelab-run-" + Media.fileSafe(id)).resolve("files");
                Files.createDirectories(scratch);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temporary folder for the files of run " + id, e);
            }
        }
        return scratch;
    }

    private void each(Consumer<RunSink> call) {
        for (RunSink s : sinks) {
            try {
                call.accept(s);
            } catch (RuntimeException e) {
                warn("sink " + s.getClass().getSimpleName() + " failed: " + e);
            }
        }
    }

    private static void warn(String message) {
        System.err.println("tunelab: " + message);
    }

    @SuppressWarnings("unchecked")
    private void readBack() throws IOException {
        history.addAll(RunHistory.read(dir.resolve("history.jsonl")));
        Path summaryFile = dir.resolve("summary.json");
        if (Files.exists(summaryFile)) {
            summary.putAll(LINE.readValue(summaryFile.toFile(), LinkedHashMap.class));
        }
        Path filesDir = dir.resolve("files");
        if (Files.isDirectory(filesDir)) {
            try (var walk = Files.walk(filesDir)) {
                walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
                        .forEach(p -> files.add(filesDir.relativize(p).toString().replace('\\', '/')));
            }
        }
    }

    private void rewriteHistory() {
        if (historyOut != null) {
            try {
                historyOut.close();
            } catch (IOException ignored) {
                // flushed line by line
            }
            historyOut = null;
        }
        StringBuilder sb = new StringBuilder();
        try {
            for (Map<String, Object> row : history) {
                sb.append(LINE.writeValueAsString(row)).append('\n');
            }
            AtomicFiles.writeString(dir.resolve("history.jsonl"), sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + dir.resolve("history.jsonl"), e);
        }
    }

    @Override
    public String toString() {
        return "Run(" + id + (dir == null ? ", in memory" : ", " + dir) + ", " + history.size() + " rows)";
    }
}
