package dev.tunelab.kernel;

import io.github.spencerpark.jupyter.kernel.history.HistoryEntry;
import io.github.spencerpark.jupyter.kernel.history.HistoryManager;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** The inputs (and text outputs) of this kernel session, for Jupyter's history requests. */
final class History implements HistoryManager {
    static final int SESSION = 1;

    private record Cell(int number, String input, String output) {}

    private final List<Cell> cells = new ArrayList<>();

    synchronized void add(int number, String input, String output) {
        cells.add(new Cell(number, input, output == null ? "" : output));
    }

    @Override
    public synchronized List<HistoryEntry> lookupRange(int session, int start, int stop, Set<ResultFlag> flags) {
        List<HistoryEntry> out = new ArrayList<>();
        if (session != 0 && session != SESSION) return out;
        for (Cell c : cells) if (c.number >= start && c.number < stop) out.add(entry(c, flags));
        return out;
    }

    @Override
    public synchronized List<HistoryEntry> lookupTail(int length, Set<ResultFlag> flags) {
        List<HistoryEntry> out = new ArrayList<>();
        for (Cell c : cells.subList(Math.max(0, cells.size() - length), cells.size())) out.add(entry(c, flags));
        return out;
    }

    @Override
    public synchronized List<HistoryEntry> search(String glob, int length, Set<ResultFlag> flags) {
        Pattern pattern = globToRegex(glob);
        List<Cell> matches = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (int i = cells.size() - 1; i >= 0 && (length <= 0 || matches.size() < length); i--) {
            Cell c = cells.get(i);
            if (!pattern.matcher(c.input).matches()) continue;
            if (flags.contains(ResultFlag.UNIQUE) && !seen.add(c.input)) continue;
            matches.add(0, c);
        }
        List<HistoryEntry> out = new ArrayList<>();
        for (Cell c : matches) out.add(entry(c, flags));
        return out;
    }

    private static HistoryEntry entry(Cell c, Set<ResultFlag> flags) {
        return flags.contains(ResultFlag.INCLUDE_OUTPUT)
                ? new HistoryEntry(SESSION, c.number, c.input, c.output)
                : new HistoryEntry(SESSION, c.number, c.input);
    }

    /** sqlite GLOB as the protocol specifies: *, ?, [...] with ^ negation. */
    static Pattern globToRegex(String glob) {
        var re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char ch = glob.charAt(i);
            switch (ch) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '[' -> {
                    int close = glob.indexOf(']', i + 1);
                    if (close < 0) { re.append("\\["); break; }
                    String set = glob.substring(i + 1, close);
                    re.append('[').append(set).append(']'); // sqlite's ^ negation is regex's too
                    i = close;
                }
                default -> re.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }
}
