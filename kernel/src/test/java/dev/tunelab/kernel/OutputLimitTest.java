package dev.tunelab.kernel;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

class OutputLimitTest {
    private static String lines(int from, int to) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i < to; i++) b.append("line ").append(i).append('\n');
        return b.toString();
    }

    @Test void underTheLimitEverythingIsShown() {
        OutputLimit limit = new OutputLimit(10, 0);
        assertEquals(lines(0, 10), limit.admit(lines(0, 10)));
        assertFalse(limit.truncated(), "exactly the limit is not a truncation");
    }

    @Test void linesPastTheLimitAreCountedOneWriteAtATime() {
        OutputLimit limit = new OutputLimit(100, 0);
        StringBuilder shown = new StringBuilder();
        for (int i = 0; i < 1000; i++) shown.append(limit.admit("line " + i + "\n"));
        assertEquals(lines(0, 100), shown.toString());
        assertEquals(900, limit.linesNotShown());
        assertTrue(limit.truncatedNotice().startsWith("[output truncated: 900 lines not shown;"), limit.truncatedNotice());
        assertTrue(limit.truncatedNotice().contains("100 lines"), limit.truncatedNotice());
    }

    @Test void oneLargeWriteIsCutAfterTheLastShownLine() {
        OutputLimit limit = new OutputLimit(3, 0);
        assertEquals("a\nb\nc\n", limit.admit("a\nb\nc\nd\ne"));
        assertEquals(2, limit.linesNotShown(), "d and the unfinished e");
        assertEquals("", limit.admit("f\n"));
        assertEquals(2, limit.linesNotShown(), "f ends the line e started");
        limit.admit("g\n");
        assertEquals(3, limit.linesNotShown());
    }

    @Test void charactersLimitCutsLongLinesWithoutSplittingACharacter() {
        OutputLimit limit = new OutputLimit(0, 5);
        assertEquals("abcd", limit.admit("abcd\uD83D\uDE00xyz\nnext\n"), "the emoji does not fit whole");
        assertEquals(2, limit.linesNotShown());
    }

    @Test void resetStartsANewCell() {
        OutputLimit limit = new OutputLimit(1, 0);
        limit.admit("a\nb\n");
        assertTrue(limit.truncated());
        limit.reset();
        assertFalse(limit.truncated());
        assertEquals("c\n", limit.admit("c\n"));
    }

    @Test void zeroMeansNoLimit() {
        OutputLimit limit = new OutputLimit(0, 0);
        String text = lines(0, 200_000);
        assertEquals(text, limit.admit(text));
        assertFalse(limit.truncated());
    }

    @Test void environmentSetsTheLimitAndBadValuesKeepTheDefault() {
        OutputLimit limit = OutputLimit.fromEnvironment(Map.of(OutputLimit.LINES_VARIABLE, "2"));
        assertEquals("a\nb\n", limit.admit("a\nb\nc\n"));
        OutputLimit fallback = OutputLimit.fromEnvironment(Map.of(OutputLimit.LINES_VARIABLE, "lots"));
        String text = lines(0, 10_001);
        assertEquals(lines(0, 10_000), fallback.admit(text));
    }
}
