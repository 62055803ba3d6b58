package dev.tunelab.track;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A finished or running run as read back from its folder: config and summary flattened with '.'
 * (the {@code _tunelab} versions left out), the history read on demand.
 */
public record RunRecord(String id, Path dir, Map<String, Object> config, Map<String, Object> summary) {

    /** Reads {@code dir/config.json} and {@code dir/summary.json} (either may be missing). */
    @SuppressWarnings("unchecked")
    public static RunRecord read(Path dir) {
        Map<String, Object> config = new LinkedHashMap<>();
        Map<String, Object> summary = new LinkedHashMap<>();
        try {
            Path c = dir.resolve("config.json");
            if (Files.exists(c)) {
                Map<String, Object> raw = Run.LINE.readValue(c.toFile(), LinkedHashMap.class);
                raw.remove("_tunelab");
                config.putAll(flattenLists(Metrics.flatten(raw, c.toString())));
            }
            Path s = dir.resolve("summary.json");
            if (Files.exists(s)) {
                summary.putAll(flattenLists(Metrics.flatten(Run.LINE.readValue(s.toFile(), LinkedHashMap.class), s.toString())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read run record in " + dir + ": " + e.getMessage(), e);
        }
        return new RunRecord(dir.getFileName().toString(), dir, config, summary);
    }

    /** The logged rows, oldest first; a torn last line (killed process) is left out. */
    public List<Map<String, Object>> history() {
        Path file = dir.resolve("history.jsonl");
        try {
            return RunHistory.read(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The history as a table and charts. */
    public RunHistory historyTable() {
        return new RunHistory(id, history());
    }

    /** A config value, then a summary value, by (flattened) key; null when neither has it. */
    public Object get(String key) {
        return config.containsKey(key) ? config.get(key) : summary.get(key);
    }

    private static Map<String, Object> flattenLists(Map<String, Object> m) {
        // Lists (e.g. target modules) become one text cell, so that every value fits a table column.
        m.replaceAll((k, v) -> v instanceof List<?> l ? l.toString() : v);
        return m;
    }
}
