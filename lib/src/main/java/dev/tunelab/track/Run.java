package dev.tunelab.track;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
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

/**
 * The record of one training run in {@code <runsDir>/<id>/}: {@code config.json} (settings, seed,
 * versions, data fingerprint), {@code history.jsonl} (one line of metrics per logged step,
 * appended and flushed), {@code summary.json} (final numbers). JSON files are replaced atomically;
 * the history is append-only, so a killed process loses at most the line being written.
 */
public final class Run implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper LINE = new ObjectMapper();

    private final String id;
    private final Path dir;
    private final ObjectNode config;
    private final List<Map<String, Object>> history = new ArrayList<>();
    private final Map<String, Object> summary = new LinkedHashMap<>();
    private BufferedWriter historyOut;

    private Run(String id, Path dir, ObjectNode config) {
        this.id = id;
        this.dir = dir;
        this.config = config;
    }

    /** A new run with a fresh id ({@code yyyyMMdd-HHmmss-name-xxxx}); dir null keeps it in memory only. */
    public static Run start(Path runsDir, String name, Map<String, Object> config) {
        String id = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
                + name.replaceAll("[^A-Za-z0-9_.-]", "_") + "-"
                + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
        return open(runsDir, id, config);
    }

    /**
     * Opens run {@code id}, creating it if new. An existing run is resumed: its history is read
     * back and then cut to steps at or before {@code keepUpToStep} (the checkpoint resumed from),
     * so replayed steps are not recorded twice.
     */
    public static Run resume(Path runsDir, String id, Map<String, Object> config, long keepUpToStep) {
        Run run = open(runsDir, id, config);
        run.history.removeIf(h -> ((Number) h.get("step")).longValue() > keepUpToStep);
        if (run.dir != null) {
            run.rewriteHistory();
        }
        return run;
    }

    private static Run open(Path runsDir, String id, Map<String, Object> config) {
        ObjectNode node = JSON.valueToTree(config);
        node.set("_tunelab", JSON.valueToTree(Versions.all()));
        Run run = new Run(id, runsDir == null ? null : runsDir.resolve(id), node);
        if (run.dir != null) {
            try {
                Files.createDirectories(run.dir.resolve("files"));
                run.readHistory();
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

    /** The run's folder, or null for an in-memory run. */
    public Path dir() {
        return dir;
    }

    public JsonNode config() {
        return config;
    }

    /** Appends one history line: {@code {"step": step, ...metrics}}. */
    public synchronized void log(long step, Map<String, ?> metrics) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", step);
        row.putAll(metrics);
        history.add(row);
        if (dir == null) {
            return;
        }
        try {
            if (historyOut == null) {
                historyOut = Files.newBufferedWriter(dir.resolve("history.jsonl"), StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            historyOut.write(LINE.writeValueAsString(row));
            historyOut.write('\n');
            historyOut.flush();
        } catch (IOException e) {
            // Tracking must never stop training: report once and keep the in-memory history.
            System.err.println("tunelab: could not append to " + dir.resolve("history.jsonl") + ": " + e.getMessage());
        }
    }

    /** Sets summary values (final loss, eval metrics) and rewrites summary.json atomically. */
    public synchronized void summary(Map<String, ?> values) {
        summary.putAll(values);
        if (dir != null) {
            try {
                AtomicFiles.writeString(dir.resolve("summary.json"), JSON.writeValueAsString(summary));
            } catch (IOException e) {
                System.err.println("tunelab: could not write " + dir.resolve("summary.json") + ": " + e.getMessage());
            }
        }
    }

    public synchronized Map<String, Object> summary() {
        return new LinkedHashMap<>(summary);
    }

    /** Every logged row, oldest first. */
    public synchronized List<Map<String, Object>> history() {
        return new ArrayList<>(history);
    }

    /** The history as a table: one row per logged step, one column per metric. */
    public RunHistory historyTable() {
        return new RunHistory(id, history());
    }

    public void finish(int exitCode) {
        summary(Map.of("_exit_code", exitCode));
        close();
    }

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
    }

    @SuppressWarnings("unchecked")
    private void readHistory() throws IOException {
        Path file = dir.resolve("history.jsonl");
        if (!Files.exists(file)) {
            return;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                history.add(LINE.readValue(line, LinkedHashMap.class));
            } catch (IOException e) {
                break; // a torn last line from a killed process: everything before it is good
            }
        }
        Path summaryFile = dir.resolve("summary.json");
        if (Files.exists(summaryFile)) {
            summary.putAll(LINE.readValue(summaryFile.toFile(), LinkedHashMap.class));
        }
    }

    private void rewriteHistory() {
        close();
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
}
