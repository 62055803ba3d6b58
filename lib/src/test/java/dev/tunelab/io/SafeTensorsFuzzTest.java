package dev.tunelab.io;

import ai.djl.ndarray.NDManager;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing of the safetensors reader with Jazzer: whatever the bytes, opening and
 * reading a file either works or throws {@link SafeTensorsFormatException} naming the file; any
 * other exception, a hang or a JVM crash is a finding. {@code JAZZER_FUZZ=1} fuzzes for
 * {@code maxDuration} (see {@code .ci/run}); otherwise the saved inputs in
 * {@code SafeTensorsFuzzTestInputs/} replay as a regression test.
 */
class SafeTensorsFuzzTest {
    static final AtomicLong EXECUTIONS = new AtomicLong();
    static Path dir;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("safetensors-fuzz");
    }

    @AfterAll
    static void report() throws IOException {
        System.out.println("SafeTensorsFuzzTest: " + EXECUTIONS.get() + " inputs read");
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    @FuzzTest(maxDuration = "30s")
    void anyBytesReadOrFailWithAFormatError(byte[] data) throws IOException {
        EXECUTIONS.incrementAndGet();
        Path file = dir.resolve("fuzz.safetensors");
        Files.write(file, data);
        try (SafeTensorsFile f = SafeTensors.open(file); NDManager m = NDManager.newBaseManager()) {
            for (String name : f.names()) {
                SafeTensorsInfo info = f.info(name);
                if (info.elementCount() <= 4096) {
                    f.raw(name);
                    f.floats(name);
                }
            }
            if (data.length <= 1 << 16) {
                f.loadAll(m).values().forEach(a -> a.close());
            }
        } catch (SafeTensorsFormatException e) {
            if (!e.getMessage().contains("fuzz.safetensors")) {
                throw new AssertionError("the error does not name the file: " + e.getMessage(), e);
            }
        }
    }
}
