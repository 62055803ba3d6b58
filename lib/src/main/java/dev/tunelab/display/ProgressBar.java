package dev.tunelab.display;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A training progress bar: step of total, rate, time left, and the latest metrics (loss...).
 * Shown through {@link Display}, so it redraws in place in a notebook and prints lines
 * elsewhere. Redraws are throttled; {@link #finish()} always draws the final state.
 *
 * <pre>{@code
 * var bar = ProgressBar.start("train", steps);
 * for (int s = 1; s <= steps; s++) bar.step(s, Map.of("loss", loss));
 * bar.finish();
 * }</pre>
 */
public final class ProgressBar implements Renderable {
    private static final long REDRAW_NANOS = 200_000_000L;
    private static final int TEXT_WIDTH = 24;

    private final String label;
    private final long total;
    private final LongSupplier clock;
    private final long startNanos;
    private final Map<String, Double> metrics = new LinkedHashMap<>();
    private Display.Handle handle;
    private long step;
    private long lastDrawNanos = Long.MIN_VALUE;
    private boolean finished;

    /** A bar not yet shown; for tests and for callers that show it themselves. */
    public ProgressBar(String label, long total, LongSupplier nanoClock) {
        if (total <= 0) throw new IllegalArgumentException("total must be positive, got " + total);
        this.label = label;
        this.total = total;
        this.clock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
    }

    /** Creates the bar and shows it. */
    public static ProgressBar start(String label, long total) {
        var bar = new ProgressBar(label, total, System::nanoTime);
        bar.handle = Display.show(bar);
        bar.lastDrawNanos = bar.startNanos;
        return bar;
    }

    /** Moves to {@code step} (1-based count of finished steps) with the latest metrics. */
    public synchronized ProgressBar step(long step, Map<String, ? extends Number> latest) {
        this.step = Math.min(step, total);
        latest.forEach((k, v) -> metrics.put(k, v.doubleValue()));
        long now = clock.getAsLong();
        if (now - lastDrawNanos >= REDRAW_NANOS || this.step == total) redraw(now);
        return this;
    }

    public ProgressBar step(long step) {
        return step(step, Map.of());
    }

    /** Draws the final state, even if the last step was throttled. */
    public synchronized void finish() {
        finished = true;
        redraw(clock.getAsLong());
    }

    private void redraw(long now) {
        lastDrawNanos = now;
        if (handle != null) handle.update(this);
    }

    public synchronized long currentStep() {
        return step;
    }

    /** Steps per second so far. */
    public synchronized double rate() {
        double seconds = elapsedSeconds();
        return seconds > 0 ? step / seconds : 0;
    }

    /** Estimated seconds left at the current rate; NaN before the first step. */
    public synchronized double etaSeconds() {
        double rate = rate();
        return rate > 0 ? (total - step) / rate : Double.NaN;
    }

    private double elapsedSeconds() {
        return (clock.getAsLong() - startNanos) / 1e9;
    }

    @Override
    public synchronized Map<String, String> mimeBundle() {
        return Map.of(MimeBundles.TEXT, text(), MimeBundles.HTML, html());
    }

    @Override
    public String toString() {
        return text();
    }

    private String text() {
        int filled = (int) (TEXT_WIDTH * step / total);
        String bar = "#".repeat(filled) + ".".repeat(TEXT_WIDTH - filled);
        return String.format(Locale.ROOT, "%s %3d%% [%s] %s", label, percent(), bar, stats());
    }

    private String html() {
        String color = finished || step == total ? "#4caf50" : "#2196f3";
        return "<div class=\"tunelab-progress\" style=\"font-family:monospace\">"
                + "<span>" + Tables.escape(label) + "</span> "
                + "<span style=\"display:inline-block;width:300px;height:12px;background:#eee;vertical-align:middle\">"
                + "<span style=\"display:block;height:100%;width:" + percent() + "%;background:" + color + "\"></span></span> "
                + "<span>" + percent() + "% " + Tables.escape(stats()) + "</span></div>";
    }

    private int percent() {
        return (int) (100 * step / total);
    }

    private String stats() {
        var s = new StringBuilder();
        s.append(step).append('/').append(total);
        s.append(" [").append(clockTime(elapsedSeconds())).append('<').append(clockTime(etaSeconds()));
        s.append(String.format(Locale.ROOT, ", %.2f it/s]", rate()));
        metrics.forEach((k, v) -> s.append(' ').append(k).append('=').append(number(v)));
        return s.toString();
    }

    private static String number(double v) {
        return Numbers.format(v);
    }

    static String clockTime(double seconds) {
        if (Double.isNaN(seconds) || Double.isInfinite(seconds)) return "?";
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }
}
