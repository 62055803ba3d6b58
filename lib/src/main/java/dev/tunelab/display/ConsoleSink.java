package dev.tunelab.display;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicLong;

/** The default sink: one line of {@code text/plain} per show or update. */
public final class ConsoleSink implements DisplaySink {
    private final PrintStream out;
    private final AtomicLong ids = new AtomicLong();

    public ConsoleSink(PrintStream out) {
        this.out = out;
    }

    @Override
    public String show(Object value) {
        out.println(MimeBundles.text(value));
        return "console-" + ids.incrementAndGet();
    }

    @Override
    public void update(String id, Object value) {
        out.println(MimeBundles.text(value));
    }
}
