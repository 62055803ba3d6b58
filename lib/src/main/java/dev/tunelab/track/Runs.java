package dev.tunelab.track;

import dev.tunelab.display.Charts;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import tech.tablesaw.aggregate.AggregateFunctions;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * The runs in a runs folder, to compare: {@code Runs.open("runs")} is a table with one row per
 * run (its id, config columns, summary columns), which can be filtered, grouped and drawn: a
 * metric against step for several runs, or a final metric against a config value. Shows itself in
 * a notebook as that table.
 */
public final class Runs implements Renderable {
    private final List<RunRecord> runs;

    private Runs(List<RunRecord> runs) {
        this.runs = List.copyOf(runs);
    }

    public static Runs open(String runsDir) {
        return open(Path.of(runsDir));
    }

    /** Every run folder (one holding a config.json) directly under {@code runsDir}, oldest id first. */
    public static Runs open(Path runsDir) {
        if (!Files.isDirectory(runsDir)) {
            throw new IllegalArgumentException("runs folder " + runsDir.toAbsolutePath() + " does not exist");
        }
        try (Stream<Path> dirs = Files.list(runsDir)) {
            return new Runs(dirs.filter(d -> Files.isRegularFile(d.resolve("config.json")))
                    .sorted(Comparator.comparing(d -> d.getFileName().toString())).map(RunRecord::read).toList());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + runsDir, e);
        }
    }

    public static Runs of(List<RunRecord> runs) {
        return new Runs(runs);
    }

    public List<RunRecord> list() {
        return runs;
    }

    public int size() {
        return runs.size();
    }

    /** The runs for which {@code test} holds. */
    public Runs where(Predicate<RunRecord> test) {
        return new Runs(runs.stream().filter(test).toList());
    }

    /** The runs whose config or summary value {@code key} equals {@code value} (numbers compared as doubles). */
    public Runs where(String key, Object value) {
        return where(r -> same(r.get(key), value));
    }

    /** The run with the lowest summary {@code metric} (e.g. "final_eval_loss"), if any run has it. */
    public Optional<RunRecord> best(String metric) {
        return runs.stream().filter(r -> r.summary().get(metric) instanceof Number)
                .min(Comparator.comparingDouble(r -> ((Number) r.summary().get(metric)).doubleValue()));
    }

    /**
     * One row per run: "run", then config columns, then summary columns (a summary key that is also
     * a config key becomes "summary.key"). Numeric columns are doubles, others text.
     */
    public Table table() {
        Set<String> configKeys = new LinkedHashSet<>();
        Set<String> summaryKeys = new LinkedHashSet<>();
        runs.forEach(r -> configKeys.addAll(r.config().keySet()));
        runs.forEach(r -> summaryKeys.addAll(r.summary().keySet()));
        Table t = Table.create("runs");
        t.addColumns(StringColumn.create("run", runs.stream().map(RunRecord::id).toList()));
        for (String k : configKeys) {
            t.addColumns(column(k, runs.stream().map(r -> r.config().get(k)).toList()));
        }
        for (String k : summaryKeys) {
            String name = configKeys.contains(k) || k.equals("run") ? "summary." + k : k;
            t.addColumns(column(name, runs.stream().map(r -> r.summary().get(k)).toList()));
        }
        return t;
    }

    /** Count, mean, min and max of {@code metric} for each value of {@code key} (a config or summary column). */
    public Table groupBy(String key, String metric) {
        Table t = table();
        if (!t.columnNames().contains(key) || !t.columnNames().contains(metric)) {
            throw new IllegalArgumentException("no column '" + (t.columnNames().contains(key) ? metric : key)
                    + "'; the runs table has " + t.columnNames());
        }
        if (!(t.column(metric) instanceof DoubleColumn)) {
            throw new IllegalArgumentException("column '" + metric + "' is not numeric");
        }
        if (t.column(key) instanceof DoubleColumn numeric) {
            // Tablesaw groups by categories: numeric keys (ranks, learning rates) become their text
            StringColumn text = StringColumn.create(key);
            numeric.forEach(v -> text.append(v == null || Double.isNaN(v) ? "" : format(v)));
            t.replaceColumn(key, text);
        }
        return t.summarize(metric, AggregateFunctions.count, AggregateFunctions.mean, AggregateFunctions.min,
                AggregateFunctions.max).by(key);
    }

    /** {@code metric} against step, one line per run (named by run id). */
    public XYChart chart(String metric) {
        XYChart chart = new XYChartBuilder().width(720).height(400).title(metric + " by step").xAxisTitle("step")
                .yAxisTitle(metric).build();
        for (RunRecord r : runs) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (Map<String, Object> row : r.history()) {
                if (row.get(metric) instanceof Number y && row.get("step") instanceof Number x
                        && Double.isFinite(y.doubleValue())) {
                    xs.add(x.doubleValue());
                    ys.add(y.doubleValue());
                }
            }
            if (!xs.isEmpty()) {
                chart.addSeries(r.id(), xs, ys).setMarker(xs.size() > 30 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
            }
        }
        return chart;
    }

    /**
     * Summary {@code metric} against numeric config value {@code key}, one point per run (log x axis
     * when the values are positive and span two decades or more, as learning rates do).
     */
    public XYChart chartAgainst(String key, String metric) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (RunRecord r : runs) {
            Object x = r.get(key);
            Object y = r.summary().get(metric);
            if (x != null && !(x instanceof Number)) {
                throw new IllegalArgumentException("'" + key + "' is not numeric (run " + r.id() + " has '" + x
                        + "'); use groupBy(\"" + key + "\", \"" + metric + "\") for categories");
            }
            if (x instanceof Number nx && y instanceof Number ny && Double.isFinite(ny.doubleValue())) {
                xs.add(nx.doubleValue());
                ys.add(ny.doubleValue());
            }
        }
        return Charts.scatter(metric + " vs " + key, key, metric, xs, ys);
    }

    @Override
    public Map<String, String> mimeBundle() {
        return Tables.mimeBundle(table(), 50);
    }

    @Override
    public String toString() {
        return "Runs(" + runs.size() + ")";
    }

    private static Column<?> column(String name, List<Object> values) {
        if (values.stream().allMatch(v -> v == null || v instanceof Number)) {
            DoubleColumn c = DoubleColumn.create(name);
            values.forEach(v -> {
                if (v == null) {
                    c.appendMissing();
                } else {
                    c.append(((Number) v).doubleValue());
                }
            });
            return c;
        }
        StringColumn c = StringColumn.create(name);
        values.forEach(v -> c.append(v == null ? "" : String.valueOf(v)));
        return c;
    }

    private static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    private static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        return Objects.equals(a == null ? null : String.valueOf(a), b == null ? null : String.valueOf(b));
    }
}
