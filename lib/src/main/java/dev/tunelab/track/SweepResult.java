package dev.tunelab.track;

import dev.tunelab.display.Charts;
import dev.tunelab.display.MimeBundles;
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

    /** trial, run, each parameter, each metric, status; sorted best first. */
    public Table table() {
        Set<String> metricNames = new LinkedHashSet<>();
        metricNames.add(metric);
        outcomes.forEach(o -> metricNames.addAll(o.metrics().keySet()));
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

    /** The ranking metric against numeric parameter {@code param}, one point per trial (log x for wide ranges). */
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
        return Charts.scatter(name + ": " + metric + " vs " + param, param, metric, xs, ys);
    }

    @Override
    public Map<String, String> mimeBundle() {
        Table t = table();
        Map<String, String> m = new LinkedHashMap<>();
        StringBuilder html = new StringBuilder(Tables.html(t, 50));
        Optional<Outcome> best = best();
        best.ifPresent(b -> html.append("<p>best: <b>").append(b.trial().name()).append("</b> ")
                .append(b.trial().config()).append(", ").append(metric).append(" = ").append(b.metrics().get(metric)).append("</p>"));
        Optional<String> numeric = params.stream().filter(p -> outcomes.stream().allMatch(o -> o.trial().config().get(p) instanceof Number)).findFirst();
        numeric.ifPresent(p -> html.append("<img src=\"data:image/png;base64,").append(Charts.pngBase64(chart(p))).append("\"/>"));
        m.put(MimeBundles.HTML, html.toString());
        m.put(MimeBundles.TEXT, Tables.text(t, 50) + best.map(b -> "\nbest: " + b.trial().name() + " " + b.trial().config()).orElse(""));
        return m;
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
