package dev.tunelab.peft;

import java.io.IOException;

/** An adapter folder that cannot be used: the message names the file, the field or tensor, and what was expected. */
public final class AdapterFormatException extends IOException {
    public AdapterFormatException(String message) {
        super(message);
    }

    public AdapterFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
