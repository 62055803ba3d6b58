package dev.tunelab.display;

/**
 * Where {@link Display#show(Object)} sends objects. Plain programs print lines
 * ({@link ConsoleSink}); the Jupyter kernel installs a sink that publishes
 * {@code display_data} and {@code update_display_data} so a progress bar redraws in place.
 */
public interface DisplaySink {
    /** Shows {@code value} and returns an id that later updates refer to. */
    String show(Object value);

    /** Replaces what was shown under {@code id} with {@code value}. */
    void update(String id, Object value);
}
