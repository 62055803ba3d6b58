package dev.tunelab.kernel;

import java.util.List;

/** A cell failed; carries what Jupyter shows: error name, message, traceback lines. */
public final class CellException extends Exception {
    private final String name;
    private final List<String> traceback;

    public CellException(String name, String message, List<String> traceback) {
        super(message, null, false, false);
        this.name = name;
        this.traceback = List.copyOf(traceback);
    }

    public CellException(String name, String message) {
        this(name, message, List.of(name + ": " + message));
    }

    public String name() {
        return name;
    }

    public List<String> traceback() {
        return traceback;
    }
}
