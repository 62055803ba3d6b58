package dev.tunelab.kernel;

import java.util.Locale;
import java.util.Map;

/**
 * How much of a cell's stdout and stderr together is shown: the first {@code maxLines} lines
 * and {@code maxChars} characters, by default 10,000 lines and 2,000,000 characters.
 * A frontend slows to a crawl and a saved notebook swells long before a million lines, and
 * Jupyter (its rate limit) and VS Code (its truncation) cut such output too. What is cut is
 * counted and named in a notice, never left as a silent gap.
 *
 * <p>Set by {@code TUNELAB_OUTPUT_MAX_LINES} and {@code TUNELAB_OUTPUT_MAX_CHARS}; 0 means
 * no limit. Not thread-safe: {@link CellIO} serializes the calls.
 */
final class OutputLimit {
    static final String LINES_VARIABLE = "TUNELAB_OUTPUT_MAX_LINES";
    static final String CHARS_VARIABLE = "TUNELAB_OUTPUT_MAX_CHARS";
    static final long DEFAULT_LINES = 10_000;
    static final long DEFAULT_CHARS = 2_000_000;

    private final long maxLines;
    private final long maxChars;
    private long lines;            // newlines shown in this cell
    private long chars;            // characters shown in this cell
    private boolean cut;           // the cell reached the limit
    private long droppedNewlines;
    private boolean droppedOpenLine; // the last dropped text did not end its line

    OutputLimit(long maxLines, long maxChars) {
        this.maxLines = maxLines <= 0 ? Long.MAX_VALUE : maxLines;
        this.maxChars = maxChars <= 0 ? Long.MAX_VALUE : maxChars;
    }

    static OutputLimit fromEnvironment(Map<String, String> env) {
        return new OutputLimit(setting(env, LINES_VARIABLE, DEFAULT_LINES), setting(env, CHARS_VARIABLE, DEFAULT_CHARS));
    }

    private static long setting(Map<String, String> env, String name, long fallback) {
        String value = env.get(name);
        if (value == null || value.isBlank()) return fallback;
        try {
            return Long.parseLong(value.strip().replace("_", ""));
        } catch (NumberFormatException e) { // a kernel that does not start is worse than the default
            System.err.println("tunelab kernel: " + name + " must be a whole number (0 for no limit), not '" + value
                    + "'; using " + fallback);
            return fallback;
        }
    }

    /** Starts counting a new cell. */
    void reset() {
        lines = chars = droppedNewlines = 0;
        cut = droppedOpenLine = false;
    }

    /** The part of {@code text} that may be shown; the rest is counted as not shown. */
    String admit(String text) {
        if (cut) {
            drop(text);
            return "";
        }
        int end = 0;
        long shownLines = lines;
        while (end < text.length()) {
            int newline = text.indexOf('\n', end);
            int lineEnd = newline < 0 ? text.length() : newline + 1;
            if (chars + lineEnd > maxChars) {
                end = charBoundary(text, (int) Math.max(end, maxChars - chars));
                cut = true;
                break;
            }
            end = lineEnd;
            if (newline >= 0 && ++shownLines == maxLines) {
                cut = end < text.length();
                break;
            }
        }
        String shown = text.substring(0, end);
        lines = shownLines;
        chars += shown.length();
        if (lines == maxLines) cut = true; // any later text is over the limit
        if (end < text.length()) drop(text.substring(end));
        return shown;
    }

    private static int charBoundary(String text, int at) {
        return at > 0 && at < text.length() && Character.isLowSurrogate(text.charAt(at)) ? at - 1 : at;
    }

    private void drop(String text) {
        if (text.isEmpty()) return;
        for (int i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) droppedNewlines++;
        droppedOpenLine = text.charAt(text.length() - 1) != '\n';
    }

    /** Whether the cell has text that was not shown. */
    boolean truncated() {
        return droppedNewlines > 0 || droppedOpenLine;
    }

    /** Lines not shown so far; a line cut short counts as not shown. */
    long linesNotShown() {
        return droppedNewlines + (droppedOpenLine ? 1 : 0);
    }

    /** Shown as soon as output is cut, so a long cell does not look stuck. */
    String limitReachedNotice() {
        return "[output limit reached (" + describe() + "): the rest of this cell's output is counted, not shown]\n";
    }

    /** Shown when the cell ends: how much was not shown and how to see more. */
    String truncatedNotice() {
        return String.format(Locale.ROOT, "[output truncated: %,d lines not shown; the limit is %s, set by %s and %s (0 for none)]%n",
                linesNotShown(), describe(), LINES_VARIABLE, CHARS_VARIABLE);
    }

    private String describe() {
        String l = maxLines == Long.MAX_VALUE ? "no line limit" : String.format(Locale.ROOT, "%,d lines", maxLines);
        String c = maxChars == Long.MAX_VALUE ? "no character limit" : String.format(Locale.ROOT, "%,d characters", maxChars);
        return l + " or " + c + " per cell";
    }
}
