package dev.tunelab.data;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing of the JSON Lines reader with Jazzer: whatever the bytes, loading a
 * file as Alpaca or chat rows, strict or skipping bad rows, either works (skipped rows are
 * reported) or fails with a {@link DataFormatException} naming the file and line; any other
 * exception, a hang or a JVM crash is a finding. {@code JAZZER_FUZZ=1} fuzzes for
 * {@code maxDuration} (see {@code .ci/run}); otherwise the saved inputs in
 * {@code JsonlFuzzTestInputs/} replay as a regression test.
 */
class JsonlFuzzTest {
    static final AtomicLong EXECUTIONS = new AtomicLong();
    static Path dir;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("jsonl-fuzz");
    }

    @AfterAll
    static void report() throws IOException {
        System.out.println("JsonlFuzzTest: " + EXECUTIONS.get() + " inputs read");
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    @FuzzTest(maxDuration = "30s")
    void anyBytesLoadOrFailNamingFileAndLine(byte[] data) throws IOException {
        EXECUTIONS.incrementAndGet();
        Path file = dir.resolve("fuzz.jsonl");
        Files.write(file, data);
        // A small line limit so that the "line too long" path is reachable from short inputs.
        for (LoadOptions options : new LoadOptions[] {LoadOptions.skipBadRows().maxLineBytes(256), LoadOptions.strict().maxLineBytes(256)}) {
            try {
                Datasets.alpaca(file, options);
                Datasets.chat(file, options);
            } catch (DataFormatException e) {
                // strict mode, or a syntax error inside a JSON array, which cannot be skipped
                if (!e.getMessage().contains("fuzz.jsonl") || e.line() < 1) {
                    throw new AssertionError("the error does not name the file and line: " + e.getMessage(), e);
                }
            } catch (UncheckedIOException e) {
                throw new AssertionError("an I/O error from a readable file: " + e.getMessage(), e);
            }
        }
    }
}
