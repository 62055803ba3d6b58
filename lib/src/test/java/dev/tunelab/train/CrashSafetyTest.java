package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training process killed with SIGKILL at random moments, many of them inside checkpoint
 * writes, always resumes from its newest complete checkpoint and then logs exactly the losses of
 * an uninterrupted run; the run store never holds a JSON file that does not parse.
 */
class CrashSafetyTest {
    static final int STEPS = 150;
    static final int TRIALS = 20;
    static final ObjectMapper STRICT = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    /** A child JVM running {@link CrashSafetyChild} with this test's class path. */
    static Process start(Path dir) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xss4m", "-Dai.djl.offline=true", "-cp",
                System.getProperty("java.class.path"), CrashSafetyChild.class.getName(),
                dir.resolve("checkpoints").toString(), dir.resolve("runs").toString(), String.valueOf(STEPS));
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        return pb.start();
    }

    /** The step lines of a child that runs to the end. */
    static List<String> runToEnd(Path dir) throws Exception {
        Process p = start(dir);
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = reader(p)) {
            for (String line; (line = out.readLine()) != null; ) {
                lines.add(line);
            }
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "child failed; output " + lines);
        assertEquals("done", lines.remove(lines.size() - 1));
        return lines;
    }

    static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    static int stepOf(String line) {
        return Integer.parseInt(line.split(" ")[1]);
    }

    @Test
    void killedAtRandomMomentsResumesToTheSameLosses(@TempDir Path tmp) throws Exception {
        List<String> reference = runToEnd(tmp.resolve("reference"));
        assertEquals(STEPS, reference.size());

        Path dir = tmp.resolve("killed");
        Random random = new Random(2024);
        int killsDuringWrites = 0;
        int expectedFirst = 1;
        int trial = 0;
        // At least TRIALS kills, and more (up to twice as many) until one has landed inside a write.
        for (; trial < TRIALS || (killsDuringWrites == 0 && trial < 2 * TRIALS); trial++) {
            Process p = start(dir);
            List<String> lines = new ArrayList<>();
            int linesBeforeKill = 1 + random.nextInt(3);
            try (BufferedReader out = reader(p)) {
                for (String line; lines.size() < linesBeforeKill && (line = out.readLine()) != null; ) {
                    lines.add(line);
                }
                // The step line is printed just before that step's checkpoint is written: a few
                // milliseconds later the child is usually inside the write, its fsyncs or the pruning.
                Thread.sleep(random.nextInt(25));
                p.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no finally blocks
                assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            }
            assertEquals(linesBeforeKill, lines.size(), "trial " + trial + ": child ended early: " + lines);
            assertFalse(lines.contains("done"), "the run finished before trial " + trial + "; raise STEPS");
            assertEquals(expectedFirst, stepOf(lines.get(0)), "trial " + trial + " did not resume from the last complete checkpoint");
            for (String line : lines) {
                assertEquals(reference.get(stepOf(line) - 1), line, "trial " + trial + ": loss differs from the uninterrupted run");
            }
            if (leftoversOfAWrite(dir)) {
                killsDuringWrites++;
            }
            assertRunStoreParses(dir.resolve("runs"));
            expectedFirst = Checkpoints.latest(dir.resolve("checkpoints")).map(c -> c.step() + 1).orElse(1);
            assertTrue(expectedFirst - 1 >= stepOf(lines.get(lines.size() - 1)) - 1,
                    "trial " + trial + ": more than the step being saved was lost");
        }
        System.out.printf("crash safety: %d SIGKILLs, %d left a write unfinished, all resumed%n", trial, killsDuringWrites);
        assertTrue(killsDuringWrites > 0, "no kill landed inside a write, so the test did not test that");

        List<String> rest = runToEnd(dir);
        assertEquals(expectedFirst, stepOf(rest.get(0)));
        for (String line : rest) {
            assertEquals(reference.get(stepOf(line) - 1), line);
        }
        assertRunStoreParses(dir.resolve("runs"));
        // The resumed run's history holds every step once, with the uninterrupted run's losses.
        String runId = (String) Checkpoints.latest(dir.resolve("checkpoints")).orElseThrow().state().get("run_id");
        List<String> history = Files.readAllLines(dir.resolve("runs").resolve(runId).resolve("history.jsonl"));
        assertEquals(STEPS, history.size());
        for (int i = 0; i < STEPS; i++) {
            JsonNode row = STRICT.readTree(history.get(i));
            assertEquals(i + 1, row.get("step").asInt());
            assertEquals(reference.get(i), "step " + (i + 1) + " " + row.get("loss").asDouble());
        }
        // Nothing is left of interrupted saves and prunings: only the two checkpoints kept.
        try (Stream<Path> s = Files.list(dir.resolve("checkpoints"))) {
            assertEquals(List.of("step-00000149", "step-00000150"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        // The final weights are the uninterrupted run's, bit for bit.
        assertEquals(-1, Files.mismatch(
                Checkpoints.latest(tmp.resolve("reference").resolve("checkpoints")).orElseThrow().dir().resolve("model.safetensors"),
                Checkpoints.latest(dir.resolve("checkpoints")).orElseThrow().dir().resolve("model.safetensors")));
    }

    /** Temporary files or folders of an atomic write that the kill interrupted. */
    static boolean leftoversOfAWrite(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> p.getFileName().toString()).anyMatch(n -> n.contains(".partial-") || n.endsWith(".tmp"));
        }
    }

    /**
     * Every config.json and summary.json parses; history.jsonl is whole lines, except that the
     * last may be cut short when the kill came while it was appended (Run's documented contract).
     */
    static void assertRunStoreParses(Path runs) throws IOException {
        if (!Files.isDirectory(runs)) {
            return;
        }
        try (Stream<Path> s = Files.list(runs)) {
            for (Path run : s.toList()) {
                for (String name : List.of("config.json", "summary.json")) {
                    Path f = run.resolve(name);
                    if (Files.exists(f)) {
                        assertTrue(STRICT.readTree(f.toFile()).isObject(), f + " is not a JSON object");
                    }
                }
                Path history = run.resolve("history.jsonl");
                if (Files.exists(history)) {
                    String text = Files.readString(history);
                    String[] lines = text.split("\n", -1);
                    // the piece after the last newline is empty, or a torn final line
                    for (int i = 0; i < lines.length - 1; i++) {
                        assertTrue(STRICT.readTree(lines[i]).has("step"), history + " line " + (i + 1));
                    }
                }
            }
        }
    }
}
