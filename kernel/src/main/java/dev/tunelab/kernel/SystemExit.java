package dev.tunelab.kernel;

/**
 * Thrown where a cell called {@code System.exit}, {@code Runtime.exit} or {@code Runtime.halt}:
 * the cell ends with an error and the kernel lives on, as Python's {@code sys.exit} in
 * IPython. An Error, not an Exception, for the reason Python's SystemExit is no Exception:
 * a {@code catch (Exception e)} around the call must not let the cell go on as if nothing
 * happened.
 */
public final class SystemExit extends Error {
    private final String call;
    private final int status;

    SystemExit(String call, int status) {
        super(call + "(" + status + ") was called: the cell stops here; the kernel and its variables live on"
                + " (restart the kernel to start afresh)");
        this.call = call;
        this.status = status;
    }

    /** For a cell whose code caught this error and carried on. */
    String caughtMessage() {
        return call + "(" + status + ") was called and the cell's code caught its SystemExit: the cell stops here"
                + " all the same; the kernel and its variables live on";
    }

    /** "System.exit", "Runtime.exit" or "Runtime.halt". */
    public String call() {
        return call;
    }

    public int status() {
        return status;
    }
}
