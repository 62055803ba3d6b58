package dev.tunelab.kernel;

/**
 * What a cell's exit calls run instead ({@link ExitCalls} reroutes them): they throw
 * {@link SystemExit} and remember it, so the cell fails even where its code catches the
 * error and carries on. Public because snippet classes call it.
 */
public final class ExitGuard {
    private static volatile SystemExit requested;

    private ExitGuard() {}

    public static void exit(int status) {
        throw request("System.exit", status);
    }

    public static void exit(Runtime runtime, int status) {
        throw request("Runtime.exit", status);
    }

    public static void halt(Runtime runtime, int status) {
        throw request("Runtime.halt", status);
    }

    private static SystemExit request(String call, int status) {
        SystemExit exit = new SystemExit(call, status);
        requested = exit;
        return exit;
    }

    /** The exit requested since the last call, or null; clears it. */
    static SystemExit take() {
        SystemExit exit = requested;
        requested = null;
        return exit;
    }
}
