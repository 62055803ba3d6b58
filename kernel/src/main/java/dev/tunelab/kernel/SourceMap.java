package dev.tunelab.kernel;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where each snippet came from, so errors name what the user sees: the cell ({@code In[7]},
 * Jupyter's label for the cell run as number 7) and the line in it. JShell only knows its
 * snippet ids ({@code #42}) and lines counted from the start of each snippet.
 */
final class SourceMap {
    /** A place in the user's text: {@code cell} such as "In[7]" and a 1-based line in it. */
    record Origin(String cell, int line) {
        /** The place {@code lines} lines further down. */
        Origin plus(int lines) {
            return new Origin(cell, line + lines);
        }

        @Override
        public String toString() {
            return cell + ", line " + line;
        }
    }

    private final Map<String, Origin> starts = new ConcurrentHashMap<>();

    /** Jupyter's label of the cell run as {@code executionCount}. */
    static String cellLabel(int executionCount) {
        return "In[" + executionCount + "]";
    }

    /** Records that snippet {@code id} starts at {@code start}. */
    void record(String id, Origin start) {
        starts.put(id, start);
    }

    /**
     * Line {@code snippetLine} (1-based) of the snippet named by {@code file}, JShell's
     * {@code "#<id>"} file name in stack frames; null when the snippet is not known.
     */
    Origin locate(String file, int snippetLine) {
        if (file == null || !file.startsWith("#")) return null;
        Origin start = starts.get(file.substring(1));
        return start == null ? null : start.plus(Math.max(0, snippetLine - 1));
    }
}
