package dev.tunelab.track;

import dev.tunelab.display.Charts;
import dev.tunelab.display.Numbers;
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
    /** Runs shown in a notebook; {@link #table()} holds every one. */
    static final int MAX_ROWS = 40;

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

    /**
     * A new folder for one execution's runs, {@code parent/<name>-<yyyyMMdd-HHmmss>}, so that
     * {@code Runs.open} on it sees only the runs made since (a notebook re-run does not mix in the
     * last run's sweep). The folder itself is made by the first run recorded in it.
     */
    public static Path newFolder(Path parent, String name) {
        String stamp = java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return parent.resolve(name + "-" + stamp);
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

    /**
     * Count, mean, min and max of {@code metric} for each value of {@code key} (a config or summary
     * column). Numeric keys become text as {@link Numbers#format} writes them: {@code 0.0001}, {@code 1,024}.
     */
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
            numeric.forEach(v -> text.append(v == null || Double.isNaN(v) ? "" : Numbers.format(v)));
            t.replaceColumn(key, text);
        }
        return t.summarize(metric, AggregateFunctions.count, AggregateFunctions.mean, AggregateFunctions.min,
                AggregateFunctions.max).by(key);
    }

    /**
     * {@code metric} against step, one line per run, each named by the config values that differ
     * between the runs drawn (say "lora.rank=8, train.learning_rate=0.001"); runs whose configs are
     * all alike are named by run id.
     */
    public XYChart chart(String metric) {
        return chart(metric + " by step", metric, (List<String>) null);
    }

    /** {@code metric} against step, one line per run, named by config value {@code by} ("lora.rank=8"). */
    public XYChart chart(String metric, String by) {
        return chart(metric + " by step, by " + by, metric, List.of(by));
    }

    /** {@code metric} against step under {@code title}, one line per run, named by config value {@code by}. */
    public XYChart chart(String title, String metric, String by) {
        return chart(title, metric, List.of(by));
    }

    /** {@code by} null: the config keys that differ between the runs that logged {@code metric}. */
    private XYChart chart(String title, String metric, List<String> by) {
        List<RunRecord> drawn = new ArrayList<>();
        List<List<Map<String, Object>>> histories = new ArrayList<>();
        for (RunRecord r : runs) {
            List<Map<String, Object>> history = r.history(); // read from disk: once per run
            if (history.stream().anyMatch(row -> row.get(metric) instanceof Number && row.get("step") instanceof Number)) {
                drawn.add(r);
                histories.add(history);
            }
        }
        List<String> names = seriesNames(drawn, by == null ? differingConfigKeys(drawn) : by);
        List<Charts.Series> series = new ArrayList<>();
        for (int i = 0; i < drawn.size(); i++) {
            series.add(Charts.Series.fromRows(names.get(i), histories.get(i), "step", metric));
        }
        return Charts.lines(title, Charts.Axis.of("step"), Charts.Axis.of(metric), series);
    }

    /**
     * Summary {@code metric} against numeric config value {@code key}, one point per run (log x axis
     * when the values are positive and span two decades or more, as learning rates do, or are powers
     * of two, as ranks are).
     */
    public XYChart chartAgainst(String key, String metric) {
        return chartAgainst(metric + " vs " + key, key, metric);
    }

    /** {@link #chartAgainst(String, String)} under {@code title}. */
    public XYChart chartAgainst(String title, String key, String metric) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (RunRecord r : runs) {
            Object x = r.get(key);
            Object y = r.summary().get(metric);
            if (x != null && !(x instanceof Number)) {
                throw new IllegalArgumentException("'" + key + "' is not numeric (run " + r.id() + " has '" + x
                        + "'); use groupBy(\"" + key + "\", \"" + metric + "\") for categories");
            }
            if (x instanceof Number nx && y instanceof Number ny) {
                xs.add(nx.doubleValue());
                ys.add(ny.doubleValue());
            }
        }
        return Charts.points(title, Charts.Axis.auto(key), Charts.Axis.of(metric),
                List.of(Charts.Series.of(metric, xs, ys)));
    }

    /** Config keys whose values differ between {@code drawn}, in config order; at most three, to keep legends short. */
    private static List<String> differingConfigKeys(List<RunRecord> drawn) {
        Set<String> keys = new LinkedHashSet<>();
        drawn.forEach(r -> keys.addAll(r.config().keySet()));
        return keys.stream().filter(k -> drawn.stream().map(r -> String.valueOf(r.config().get(k))).distinct().count() > 1)
                .limit(3).toList();
    }

    /** "k=v, k2=v2" for each run; the run id when {@code by} is empty; repeated names numbered. */
    private static List<String> seriesNames(List<RunRecord> drawn, List<String> by) {
        List<String> names = new ArrayList<>();
        Map<String, Integer> seen = new java.util.HashMap<>();
        for (RunRecord r : drawn) {
            String name = by.isEmpty() ? r.id()
                    : String.join(", ", by.stream().map(k -> k + "=" + Numbers.format(r.get(k))).toList());
            int n = seen.merge(name, 1, Integer::sum);
            names.add(n == 1 ? name : name + " #" + n);
        }
        return names;
    }

    @Override
    public Map<String, String> mimeBundle() {
        return Tables.mimeBundle(table(), MAX_ROWS);
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

    private static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        return Objects.equals(a == null ? null : String.valueOf(a), b == null ? null : String.valueOf(b));
    }
}
