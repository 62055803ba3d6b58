package dev.tunelab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BenchConfigTest {
    @Test
    void defaultsAreTheIssuesSettings() {
        BenchConfig c = BenchConfig.parse();
        assertEquals(16, c.batch);
        assertEquals(256, c.sequenceLength);
        assertEquals(256, c.newTokens);
        assertEquals(100, c.memoryFirst);
        assertEquals(2000, c.memorySteps);
        assertTrue(c.torch);
    }

    @Test
    void optionsOverrideDefaults() {
        BenchConfig c = BenchConfig.parse("--steps", "3", "--memory-steps", "500", "--memory-batch", "1", "--no-torch",
                "--out", "report.md");
        assertEquals(3, c.steps);
        assertEquals(500, c.memorySteps);
        assertEquals(1, c.memoryBatch);
        assertFalse(c.torch);
        assertEquals(Path.of("report.md"), c.out);
    }

    @Test
    void badOptionsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BenchConfig.parse("--stpes", "3"))
                .getMessage().contains("--stpes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BenchConfig.parse("--steps", "x"))
                .getMessage().contains("--steps expects an integer, got 'x'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BenchConfig.parse("--batch", "0"))
                .getMessage().contains("--batch must be >= 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BenchConfig.parse("--steps"))
                .getMessage().contains("needs a value"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> BenchConfig.parse("--memory-first", "100", "--memory-steps", "100"))
                .getMessage().contains("--memory-first (100) must be below --memory-steps (100)"));
    }
}
