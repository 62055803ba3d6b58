package dev.tunelab.track;

import dev.tunelab.display.Charts;
import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Numbers;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.knowm.xchart.XYChart;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/** What a sweep found: a row per trial (config, metrics, status), the best trial, charts. */
public final class SweepResult implements Renderable {
    /** One trial's metrics, or why it failed. */
    public record Outcome(Trial trial, Map<String, Object> metrics, String error) {
        public boolean ok() {
            return error == null;
        }
    }

    /** Trials shown in a notebook; the table itself holds every one. */
    static final int MAX_ROWS = 40;

    private final String name;
    private final List<String> params;
    private final String metric;
    private final boolean maximize;
    private final List<Outcome> outcomes;

    SweepResult(String name, List<String> params, String metric, boolean maximize, List<Outcome> outcomes) {
        this.name = name;
        this.params = params;
        this.metric = metric;
        this.maximize = maximize;
        this.outcomes = List.copyOf(outcomes);
    }

    public List<Outcome> outcomes() {
        return outcomes;
    }

    /** The trial with the best value of the ranking metric among those that reported it. */
    public Optional<Outcome> best() {
        Comparator<Outcome> byMetric = Comparator.comparingDouble(o -> ((Number) o.metrics().get(metric)).doubleValue());
        return outcomes.stream().filter(o -> o.metrics().get(metric) instanceof Number n && !Double.isNaN(n.doubleValue()))
                .min(maximize ? byMetric.reversed() : byMetric);
    }

    /**
     * trial, run, each parameter, the objective, the other metrics in name order, status; sorted
     * best first. Name order, not the trial's map order: {@code Map.of} iterates in an order that
     * changes from one JVM to the next, and a re-run must print the same table.
     */
    public Table table() {
        Set<String> metricNames = new LinkedHashSet<>();
        metricNames.add(metric);
        outcomes.forEach(o -> metricNames.addAll(new java.util.TreeSet<>(o.metrics().keySet())));
        List<Outcome> sorted = new ArrayList<>(outcomes);
        sorted.sort(Comparator.comparingDouble((Outcome o) -> rank(o)));
        Table t = Table.create(name + " (" + (maximize ? "max " : "min ") + metric + ")");
        t.addColumns(IntColumn.create("trial", sorted.stream().mapToInt(o -> o.trial().index()).toArray()));
        t.addColumns(StringColumn.create("run", sorted.stream().map(o -> o.trial().name()).toList()));
        for (String p : params) {
            List<Object> values = sorted.stream().map(o -> o.trial().config().get(p)).toList();
            if (values.stream().allMatch(v -> v instanceof Number)) {
                t.addColumns(DoubleColumn.create(p, values.stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray()));
            } else {
                t.addColumns(StringColumn.create(p, values.stream().map(String::valueOf).toList()));
            }
        }
        for (String m : metricNames) {
            DoubleColumn c = DoubleColumn.create(m);
            sorted.forEach(o -> {
                if (o.metrics().get(m) instanceof Number n) {
                    c.append(n.doubleValue());
                } else {
                    c.appendMissing();
                }
            });
            t.addColumns(c);
        }
        t.addColumns(StringColumn.create("status", sorted.stream().map(o -> o.ok() ? "ok" : "failed: " + o.error()).toList()));
        return t;
    }

    /**
     * The ranking metric against numeric parameter {@code param}, one point per trial; the x axis is
     * logarithmic when the values span two decades (learning rates) or are powers of two spanning
     * 8x (ranks), and then the chart holds their logarithms (see {@link Charts}).
     */
    public XYChart chart(String param) {
        if (!params.contains(param)) {
            throw new IllegalArgumentException("no sweep parameter '" + param + "'; the sweep has " + params);
        }
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (Outcome o : outcomes) {
            if (o.trial().config().get(param) instanceof Number x && o.metrics().get(metric) instanceof Number y
                    && Double.isFinite(y.doubleValue())) {
                xs.add(x.doubleValue());
                ys.add(y.doubleValue());
            }
        }
        String title = metric + " vs " + param;
        // the sweep's name when it says what was swept, not when it holds a run id
        if (!Charts.RUN_ID.matcher(name).find()) title = name + ": " + title;
        return Charts.points(title, Charts.Axis.auto(param), Charts.Axis.of(metric),
                List.of(Charts.Series.of(metric, xs, ys)));
    }

    @Override
    public Map<String, String> mimeBundle() {
        Table t = table();
        Map<String, String> m = new LinkedHashMap<>();
        StringBuilder html = new StringBuilder(Tables.html(t, MAX_ROWS));
        Optional<Outcome> best = best();
        best.ifPresent(b -> html.append("<p>best: <b>").append(escape(b.trial().name())).append("</b> ")
                .append(escape(config(b))).append(", ").append(escape(metric)).append(" = ")
                .append(Numbers.format(b.metrics().get(metric))).append("</p>"));
        Optional<String> numeric = params.stream().filter(p -> outcomes.stream().allMatch(o -> o.trial().config().get(p) instanceof Number)).findFirst();
        numeric.ifPresent(p -> html.append("<img src=\"data:image/png;base64,").append(Charts.pngBase64(chart(p))).append("\"/>"));
        m.put(MimeBundles.HTML, html.toString());
        m.put(MimeBundles.TEXT, Tables.text(t, MAX_ROWS) + best.map(b -> "\n" + bestLine(b)).orElse(""));
        return m;
    }

    /** "best: name {lr=0.001, rank=8}, loss = 0.25", values through {@link Numbers}. */
    private String bestLine(Outcome b) {
        return "best: " + b.trial().name() + " " + config(b) + ", " + metric + " = " + Numbers.format(b.metrics().get(metric));
    }

    /** The trial's swept values, numbers through {@link Numbers}: {@code {lr=0.001, rank=8}}. */
    private String config(Outcome o) {
        StringBuilder s = new StringBuilder("{");
        for (var e : o.trial().config().entrySet()) {
            if (s.length() > 1) s.append(", ");
            s.append(e.getKey()).append('=').append(Numbers.format(e.getValue()));
        }
        return s.append('}').toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    @Override
    public String toString() {
        return "SweepResult(" + name + ", " + outcomes.size() + " trials, best " + best().map(b -> b.trial().name()).orElse("none") + ")";
    }

    private double rank(Outcome o) {
        if (!(o.metrics().get(metric) instanceof Number n) || Double.isNaN(n.doubleValue())) {
            return Double.POSITIVE_INFINITY;
        }
        return maximize ? -n.doubleValue() : n.doubleValue();
    }
}
