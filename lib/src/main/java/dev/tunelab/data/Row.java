package dev.tunelab.data;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A row of any JSON object, field name to value. Strings are kept as they are; other values
 * (numbers, lists, objects) as their JSON text.
 */
public record Row(Map<String, String> columns) implements Example {
    public Row {
        columns = Collections.unmodifiableMap(new LinkedHashMap<>(columns));
    }

    /** The value of {@code field}, or null when the row has none. */
    public String get(String field) {
        return columns.get(field);
    }

    @Override
    public String text() {
        return columns.values().stream().collect(Collectors.joining("\n"));
    }
}
