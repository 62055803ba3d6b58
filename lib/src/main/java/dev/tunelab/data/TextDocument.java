package dev.tunelab.data;

import java.util.Map;
import java.util.Objects;

/** A document of running text (a story, an article). */
public record TextDocument(String text) implements Example {
    public TextDocument {
        Objects.requireNonNull(text, "text");
    }

    @Override
    public Map<String, String> columns() {
        return Map.of("text", text);
    }
}
