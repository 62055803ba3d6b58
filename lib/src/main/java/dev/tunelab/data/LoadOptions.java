package dev.tunelab.data;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How a file is read: strict (the default: the first bad row is an error) or skipping bad rows;
 * which field names of the file stand for the format's fields; the longest line accepted.
 *
 * <pre>{@code
 * Datasets.alpaca(path, LoadOptions.skipBadRows().map("instruction", "question").map("output", "answer"))
 * }</pre>
 *
 * @param skip load the good rows and report the bad ones instead of failing
 * @param mapping format field name to the file's field name
 * @param maxLineBytes longest line (JSONL, text) accepted; longer lines are bad rows, read past
 *     without being held in memory
 * @param maxReported how many bad-row messages the report keeps
 */
public record LoadOptions(boolean skip, Map<String, String> mapping, int maxLineBytes, int maxReported) {
    public static final int DEFAULT_MAX_LINE_BYTES = 16 << 20;

    public LoadOptions {
        mapping = Collections.unmodifiableMap(new LinkedHashMap<>(mapping));
        if (maxLineBytes <= 0) throw new IllegalArgumentException("maxLineBytes must be positive, got " + maxLineBytes);
        if (maxReported < 0) throw new IllegalArgumentException("maxReported must be >= 0, got " + maxReported);
    }

    /** Strict: the first bad row stops the load with an error naming file, line and field. */
    public static LoadOptions strict() {
        return new LoadOptions(false, Map.of(), DEFAULT_MAX_LINE_BYTES, 5);
    }

    /** Loads the good rows; {@link Dataset#report()} says how many were skipped and why. */
    public static LoadOptions skipBadRows() {
        return strict().skipping(true);
    }

    public LoadOptions skipping(boolean skip) {
        return new LoadOptions(skip, mapping, maxLineBytes, maxReported);
    }

    /** Reads the format's field {@code field} from the file's field {@code fileField}. */
    public LoadOptions map(String field, String fileField) {
        Map<String, String> m = new LinkedHashMap<>(mapping);
        m.put(Objects.requireNonNull(field, "field"), Objects.requireNonNull(fileField, "fileField"));
        return new LoadOptions(skip, m, maxLineBytes, maxReported);
    }

    /** All of {@code fieldToFileField} at once. */
    public LoadOptions map(Map<String, String> fieldToFileField) {
        Map<String, String> m = new LinkedHashMap<>(mapping);
        m.putAll(fieldToFileField);
        return new LoadOptions(skip, m, maxLineBytes, maxReported);
    }

    public LoadOptions maxLineBytes(int bytes) {
        return new LoadOptions(skip, mapping, bytes, maxReported);
    }

    public LoadOptions maxReported(int n) {
        return new LoadOptions(skip, mapping, maxLineBytes, n);
    }
}
