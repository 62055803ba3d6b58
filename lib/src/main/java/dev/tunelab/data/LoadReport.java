package dev.tunelab.data;

import java.util.ArrayList;
import java.util.List;

/**
 * What a load did: rows loaded, bad rows skipped with the first few reasons, and notes (for
 * example a cut-off document dropped at the end of a text file).
 */
public record LoadReport(String source, int loaded, int skipped, List<String> firstErrors, List<String> notes) {
    public LoadReport {
        firstErrors = List.copyOf(firstErrors);
        notes = List.copyOf(notes);
    }

    /** Both reports as one, for a data set read from several files. */
    public LoadReport plus(LoadReport other) {
        List<String> errors = new ArrayList<>(firstErrors);
        errors.addAll(other.firstErrors);
        List<String> n = new ArrayList<>(notes);
        n.addAll(other.notes);
        return new LoadReport(source + " + " + other.source, loaded + other.loaded, skipped + other.skipped, errors, n);
    }

    @Override
    public String toString() {
        var s = new StringBuilder(source).append(": ").append(loaded).append(" rows");
        if (skipped > 0) s.append(", ").append(skipped).append(" bad rows skipped");
        for (String e : firstErrors) s.append("\n  skipped: ").append(e);
        if (skipped > firstErrors.size()) s.append("\n  ... ").append(skipped - firstErrors.size()).append(" more");
        for (String n : notes) s.append("\n  note: ").append(n);
        return s.toString();
    }
}
