package dev.tunelab.track;

/**
 * A W&amp;B call that failed: the HTTP status (0 for a network error or timeout), whether
 * retrying may help, and the server's message. Never carries the API key.
 */
public final class WandbException extends Exception {
    private final int status;
    private final boolean retryable;
    private final GaveUp gaveUp;

    /** Why {@link Backoff} stopped retrying an error that was worth retrying. */
    enum GaveUp {
        /** retried for {@code giveUpAfter}, or cancelled, or interrupted */
        RETRIES,
        /** the next retry would not fit in the run's finish budget */
        FINISH_BUDGET
    }

    WandbException(String message, int status, boolean retryable, Throwable cause) {
        this(message, status, retryable, cause, null);
    }

    WandbException(String message, int status, boolean retryable, Throwable cause, GaveUp gaveUp) {
        super(message, cause);
        this.status = status;
        this.retryable = retryable;
        this.gaveUp = gaveUp;
    }

    /**
     * Null when the server refused for good (a final status); else why retrying stopped. Either
     * way nothing more is retried, but only a final refusal may drop data: what was given up on
     * stays in the journal for {@code sync}.
     */
    GaveUp gaveUp() {
        return gaveUp;
    }

    /** The HTTP status, or 0 when no response came (connection refused or reset, timeout). */
    public int status() {
        return status;
    }

    public boolean retryable() {
        return retryable;
    }

    /** 401: the key is missing or invalid. */
    public boolean badKey() {
        return status == 401;
    }
}
