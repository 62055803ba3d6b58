package dev.tunelab.display;

import java.util.Map;

/**
 * An object that knows how to show itself in a notebook. The kernel asks for the MIME bundle
 * (for example {@code text/html} and {@code text/plain}, or {@code image/png} as base64);
 * plain Java programs call {@link #toString()}. Lives in the library so the library never
 * depends on the kernel.
 */
public interface Renderable {
    /** MIME type to content; binary types (images) are base64 strings. */
    Map<String, String> mimeBundle();
}
