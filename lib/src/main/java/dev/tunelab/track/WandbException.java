package dev.tunelab.track;

/**
 * A W&amp;B call that failed: the HTTP status (0 for a network error or timeout), whether
 * retrying may help, and the server's message. Never carries the API key.
 */
public final class WandbException extends Exception {
    private final int status;
    private final boolean retryable;

    WandbException(String message, int status, boolean retryable, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.retryable = retryable;
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
