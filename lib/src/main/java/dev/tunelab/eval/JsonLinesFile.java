package dev.tunelab.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.data.DataFormatException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** The evaluation sets' JSON Lines files: one object a line, blank lines skipped. */
final class JsonLinesFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonLinesFile() {}

    /**
     * Every line of {@code file} through {@code row}; a line that does not parse, or that {@code row}
     * refuses, is an error naming the file, the line number and {@code expected}.
     */
    static <T> List<T> read(Path file, String expected, Function<JsonNode, T> row) {
        List<T> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    out.add(row.apply(JSON.readTree(line)));
                } catch (IOException | RuntimeException e) {
                    throw new DataFormatException(file, number, -1, null, e.getMessage() + " (expected " + expected + ")");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return out;
    }
}
