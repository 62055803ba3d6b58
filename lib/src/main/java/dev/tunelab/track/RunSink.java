package dev.tunelab.track;

import java.nio.file.Path;
import java.util.Map;

/**
 * Somewhere a {@link Run} sends what it records, besides its own folder: Weights &amp; Biases, a
 * notebook progress display, a test probe. Calls come in the order the run made them, on the
 * thread that made them; a sink must return quickly (queue slow work) and must never throw for a
 * tracking failure: training goes on whatever happens to a sink.
 */
public interface RunSink extends AutoCloseable {
    /** The run started or was reopened; {@code info.config()} is the whole config. */
    default void started(RunInfo info) {}

    /** The config changed; {@code config} is the whole config after the change. */
    default void config(Map<String, Object> config) {}

    /**
     * One history row: the step and the metrics, nested maps already flattened with '.', media
     * already saved and replaced by their references ({@link Media#reference()}).
     */
    default void history(long step, Map<String, Object> metrics) {}

    /** The whole summary after a change (latest value of every key). */
    default void summary(Map<String, Object> summary) {}

    /** A run file was saved: {@code name} is its path under the run's {@code files/}, {@code path} where it lies. */
    default void file(String name, Path path) {}

    /** One line of console output; {@code error} for standard error. */
    default void console(String line, boolean error) {}

    /** The run ended with this exit code (0 = finished, anything else = failed). */
    default void finished(int exitCode) {}

    /** True when whoever is behind this sink asked the run to stop (W&amp;B's stop button). */
    default boolean stopRequested() {
        return false;
    }

    /** The run object is closed: flush what is buffered (waiting a bounded time) and release threads. */
    @Override
    default void close() {}
}
