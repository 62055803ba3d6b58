package dev.tunelab.kernel;

import dev.tunelab.display.DisplaySink;
import dev.tunelab.display.MimeBundles;
import io.github.spencerpark.jupyter.kernel.display.DisplayData;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * IJava's display API for cells ({@code display}, {@code updateDisplay}, {@code render}),
 * imported statically at start-up, and the {@link DisplaySink} the library's
 * {@code Display.show} uses inside the kernel.
 */
public final class Notebook implements DisplaySink {
    private static volatile Notebook current;
    private final CellIO io;

    Notebook(CellIO io) {
        this.io = io;
    }

    static void install(Notebook notebook) {
        current = notebook;
        dev.tunelab.display.Display.setSink(notebook);
    }

    private static Notebook current() {
        Notebook n = current;
        if (n == null) throw new IllegalStateException("display needs the tunelab kernel");
        return n;
    }

    /** Renders {@code value} by type; {@code mimeTypes} restricts or extends the types (e.g. image/svg+xml). */
    public static DisplayData render(Object value, String... mimeTypes) {
        if (value instanceof DisplayData data) return data;
        Map<String, String> bundle = MimeBundles.of(value, Set.of(mimeTypes));
        DisplayData data = new DisplayData();
        bundle.forEach(data::putData);
        return data;
    }

    /** Shows {@code value} now, below the cell's output so far; returns its display id. */
    public static String display(Object value, String... mimeTypes) {
        String id = UUID.randomUUID().toString();
        DisplayData data = copy(render(value, mimeTypes));
        data.setDisplayId(id);
        current().io.display(data);
        return id;
    }

    /** Replaces the display {@code id} in place. */
    public static void updateDisplay(String id, Object value, String... mimeTypes) {
        DisplayData data = copy(render(value, mimeTypes));
        data.setDisplayId(id);
        current().io.updateDisplay(data);
    }

    /** Clears this cell's output so far, as IPython's {@code clear_output()}. */
    public static void clearOutput() {
        current().io.clearOutput(false);
    }

    /** With {@code wait}, the output is cleared when the next output arrives, which avoids flicker. */
    public static void clearOutput(boolean wait) {
        current().io.clearOutput(wait);
    }

    private static DisplayData copy(DisplayData data) {
        DisplayData c = new DisplayData();
        c.assign(data);
        return c;
    }

    @Override
    public String show(Object value) {
        return display(value);
    }

    @Override
    public void update(String id, Object value) {
        updateDisplay(id, value);
    }
}
