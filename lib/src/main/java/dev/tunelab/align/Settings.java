package dev.tunelab.align;


/** The count check of the alignment configs' own settings. */
final class Settings {
    private Settings() {}

    /** {@code v}, or a clear error when it is below 1. */
    static int positive(int v, String name) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + v);
        }
        return v;
    }
}
