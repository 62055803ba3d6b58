package dev.tunelab.display;

import java.util.Objects;

/**
 * Library code shows things through here (a trainer's progress bar, a chart), never through
 * the kernel directly, so the same code prints lines in a plain program and updates in place
 * in a notebook.
 */
public final class Display {
    private static volatile DisplaySink sink = new ConsoleSink(System.out);

    private Display() {}

    /** Installs the sink used from now on; the kernel calls this at start-up. */
    public static void setSink(DisplaySink newSink) {
        sink = Objects.requireNonNull(newSink, "sink");
    }

    public static DisplaySink sink() {
        return sink;
    }

    /** Shows {@code value}; the handle updates it later. */
    public static Handle show(Object value) {
        DisplaySink s = sink;
        return new Handle(s, s.show(value));
    }

    /** A shown object that can be replaced in place. */
    public static final class Handle {
        private final DisplaySink sink;
        private final String id;

        Handle(DisplaySink sink, String id) {
            this.sink = sink;
            this.id = id;
        }

        public String id() {
            return id;
        }

        public void update(Object value) {
            sink.update(id, value);
        }
    }
}
