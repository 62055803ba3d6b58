package dev.tunelab.io;

/**
 * A Hub download that failed: names the repository, the file and what to do. Never contains
 * the token.
 */
public class HubException extends RuntimeException {
    private final int status;
    private final String errorCode;

    HubException(String message, int status, String errorCode, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    /** The same failure with more context in the message. */
    public HubException(String message, HubException cause) {
        this(message, cause.status, cause.errorCode, cause);
    }

    HubException(String message) {
        this(message, 0, null, null);
    }

    /** The HTTP status that caused it, or 0 (offline, network, checksum). */
    public int status() {
        return status;
    }

    /** The Hub's {@code X-Error-Code} header (RepoNotFound, EntryNotFound, GatedRepo, ...), or null. */
    public String errorCode() {
        return errorCode;
    }

    /** A 404 for a file of a repository that exists (so an optional file is simply absent). */
    public boolean isMissingFile() {
        return status == 404 && (errorCode == null || errorCode.equals("EntryNotFound"));
    }
}
