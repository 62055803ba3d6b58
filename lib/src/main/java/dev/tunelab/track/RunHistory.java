package dev.tunelab.track;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import dev.tunelab.display.Charts;
import org.knowm.xchart.XYChart;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.Table;

/** A run's logged metrics as a Tablesaw table and as charts of metric against step. */
public final class RunHistory {
    private final String runId;
    private final List<Map<String, Object>> rows;

    RunHistory(String runId, List<Map<String, Object>> rows) {
        this.runId = runId;
        this.rows = rows;
    }

    /**
     * The rows of a {@code history.jsonl}, oldest first; empty when there is no file. A torn last
     * line (a killed process) ends the read: everything before it is good.
     */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> read(java.nio.file.Path file) throws java.io.IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!java.nio.file.Files.exists(file)) {
            return out;
        }
        for (String line : java.nio.file.Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                out.add(Run.LINE.readValue(line, java.util.LinkedHashMap.class));
            } catch (java.io.IOException torn) {
                break;
            }
        }
        return out;
    }

    /** The logged values of a metric, in step order (steps that did not log it are skipped). */
    public double[] values(String metric) {
        return rows.stream().filter(r -> r.get(metric) instanceof Number).mapToDouble(r -> ((Number) r.get(metric)).doubleValue())
                .toArray();
    }

    /** The lowest logged value of a metric (NaN when it was never logged). */
    public double min(String metric) {
        return java.util.Arrays.stream(values(metric)).min().orElse(Double.NaN);
    }

    /** The mean of a metric's logged values (NaN when it was never logged). */
    public double mean(String metric) {
        return java.util.Arrays.stream(values(metric)).average().orElse(Double.NaN);
    }

    /** The step at which a metric was lowest (the first such step; -1 when it was never logged). */
    public long argMin(String metric) {
        long best = -1;
        double lowest = Double.POSITIVE_INFINITY;
        for (Map<String, Object> r : rows) {
            if (r.get(metric) instanceof Number v && v.doubleValue() < lowest && r.get("step") instanceof Number step) {
                lowest = v.doubleValue();
                best = step.longValue();
            }
        }
        return best;
    }

    /** One row per logged step; metrics a step did not log are missing values. */
    public Table table() {
        Set<String> columns = new LinkedHashSet<>();
        rows.forEach(r -> r.forEach((k, v) -> {
            if (v instanceof Number) {
                columns.add(k);
            }
        }));
        Table t = Table.create(runId);
        for (String c : columns) {
            DoubleColumn col = DoubleColumn.create(c);
            for (Map<String, Object> r : rows) {
                Object v = r.get(c);
                if (v instanceof Number n) {
                    col.append(n.doubleValue());
                } else {
                    col.appendMissing();
                }
            }
            t.addColumns(col);
        }
        return t;
    }

    /** Metrics of one quantity against step, one line each (e.g. "loss", "eval_loss"), titled by what they are. */
    public XYChart chart(String... metrics) {
        return chart(String.join(" and ", metrics) + " by step", List.of(metrics));
    }

    /**
     * Metrics of one quantity against step under {@code title}, one line per metric the history
     * holds; the y-axis names only the lines drawn.
     */
    public XYChart chart(String title, List<String> metrics) {
        return Charts.byStep(title, rows, metrics);
    }

    /** Two quantities against step: {@code left} metrics on the left axis, {@code right} on the right. */
    public XYChart chart(String title, List<String> left, List<String> right) {
        return Charts.byStep(title, rows, left, right);
    }

    /** The training-loss curve, with the evaluation loss when one was logged. */
    public XYChart lossChart() {
        return chart("Training and held-out loss", List.of("loss", "eval_loss"));
    }
}
