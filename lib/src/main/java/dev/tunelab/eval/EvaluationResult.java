package dev.tunelab.eval;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Numbers;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * One model's evaluation: a Tablesaw table with a row per example (prompt, reference, output and
 * every score) and a summary of metric name to value. Shows itself in a notebook as the summary
 * followed by the first examples.
 */
public final class EvaluationResult implements Renderable {
    static final int SHOWN_EXAMPLES = 10;

    private final String name;
    private final Table examples;
    private final Map<String, Double> summary;

    EvaluationResult(String name, Table examples, Map<String, Double> summary) {
        this.name = name;
        this.examples = Tables.formatNumbers(examples);
        this.summary = Collections.unmodifiableMap(new LinkedHashMap<>(summary));
    }

    public String name() {
        return name;
    }

    /** One row per example. */
    public Table examples() {
        return examples;
    }

    /** Metric name to value, in a fixed order; overlap scores in percent. */
    public Map<String, Double> summary() {
        return summary;
    }

    /** A summary value; an unknown name lists the known ones. */
    public double metric(String metric) {
        Double v = summary.get(metric);
        if (v == null) {
            throw new IllegalArgumentException("no metric '" + metric + "' in " + name + "; have " + summary.keySet());
        }
        return v;
    }

    /**
     * A copy with one more summary metric scored outside this package (a task's pass rate, a
     * judge's score); it then shows in {@link Evaluation#compare} like the built-in ones.
     */
    public EvaluationResult withMetric(String metric, double value) {
        Map<String, Double> s = new LinkedHashMap<>(summary);
        s.put(metric, value);
        return new EvaluationResult(name, examples.copy(), s);
    }

    /** A copy with one more per-example column (one value per example, in order), e.g. the check an output failed. */
    public EvaluationResult withColumn(Column<?> column) {
        if (column.size() != examples.rowCount()) {
            throw new IllegalArgumentException("column '" + column.name() + "' has " + column.size() + " values for "
                    + examples.rowCount() + " examples");
        }
        return new EvaluationResult(name, examples.copy().addColumns(column), summary);
    }

    /** The summary as a two-column table (metric, value). */
    public Table summaryTable() {
        return Tables.formatNumbers(Table.create(name + " summary", StringColumn.create("metric", summary.keySet()),
                DoubleColumn.create("value", summary.values().stream().mapToDouble(Double::doubleValue).toArray())));
    }

    /** The {@code n} examples with the lowest {@code metric} (a per-example column), worst first: where the model fails. */
    public Table worst(String metric, int n) {
        if (!examples.containsColumn(metric) || !(examples.column(metric) instanceof DoubleColumn)) {
            throw new IllegalArgumentException("no per-example score '" + metric + "'; have " + examples.columnNames());
        }
        return examples.sortAscendingOn(metric).first(n).setName(name + ": lowest " + metric);
    }

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MimeBundles.HTML, "<div class=\"tunelab-evaluation\"><h4>" + escape(name) + "</h4>"
                + Tables.html(summaryTable(), summary.size())
                + Tables.html(examples, SHOWN_EXAMPLES) + "</div>");
        m.put(MimeBundles.TEXT, toString());
        return m;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(name).append(':');
        summary.forEach((k, v) -> s.append(' ').append(k).append('=').append(Numbers.format(v)));
        return s.toString();
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
