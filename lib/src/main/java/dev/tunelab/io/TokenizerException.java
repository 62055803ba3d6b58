package dev.tunelab.io;

import java.nio.file.Path;

/**
 * A tokenizer file that cannot be used: missing, not JSON, refused by the native tokenizers
 * library, or inconsistent with its companion file. The message names the file and the problem.
 */
public class TokenizerException extends RuntimeException {
    private final transient Path file;

    public TokenizerException(Path file, String problem) {
        this(file, problem, null);
    }

    public TokenizerException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file the problem is in. */
    public Path file() {
        return file;
    }
}
