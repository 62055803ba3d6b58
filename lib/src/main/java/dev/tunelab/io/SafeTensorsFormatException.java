package dev.tunelab.io;

import java.io.IOException;

/**
 * A safetensors file (or sharded checkpoint index) that is malformed, or that asks for something
 * tunelab cannot load. The message names the file, the tensor and the field when they apply, and
 * says what was expected.
 */
public class SafeTensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public SafeTensorsFormatException(String message) {
        super(message);
    }

    public SafeTensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
