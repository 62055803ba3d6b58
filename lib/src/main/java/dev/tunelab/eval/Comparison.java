package dev.tunelab.eval;

import dev.tunelab.display.Charts;
import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * A baseline and a tuned model on the same held-out set: the summary metrics side by side with
 * the change, which side is better (lower is better for self-BLEU and perplexity), a grouped bar
 * chart of the percent-scale metrics (the others, as perplexity, have their own scales and stay in the table), and per-example deltas to find where tuning helped or hurt.
 */
public final class Comparison implements Renderable {
    /** Metrics where a smaller value is better. */
    static final Set<String> LOWER_IS_BETTER = Set.of("self_bleu", "reference_perplexity");
    /** Metrics on the 0..100 scale, drawn in the chart. */
    static final List<String> CHARTED = List.of("exact_match", "token_f1", "bleu", "rouge1", "rouge2", "rougeL",
            "distinct_1", "distinct_2", "self_bleu");

    private final EvaluationResult baseline;
    private final EvaluationResult tuned;

    Comparison(EvaluationResult baseline, EvaluationResult tuned) {
        if (baseline.examples().rowCount() != tuned.examples().rowCount()) {
            throw new IllegalArgumentException("results cover different sets: " + baseline.name() + " has "
                    + baseline.examples().rowCount() + " examples, " + tuned.name() + " has " + tuned.examples().rowCount());
        }
        this.baseline = baseline;
        this.tuned = tuned;
    }

    /** One row per metric both results have: baseline, tuned, delta (tuned - baseline) and the better side. */
    public Table table() {
        StringColumn metric = StringColumn.create("metric");
        DoubleColumn base = DoubleColumn.create(baseline.name());
        DoubleColumn tune = DoubleColumn.create(columnName());
        DoubleColumn delta = DoubleColumn.create("delta");
        StringColumn better = StringColumn.create("better");
        for (var e : baseline.summary().entrySet()) {
            Double t = tuned.summary().get(e.getKey());
            if (t == null || e.getKey().equals("examples")) {
                continue;
            }
            double d = t - e.getValue();
            metric.append(e.getKey());
            base.append(e.getValue());
            tune.append(t);
            delta.append(d);
            boolean tunedBetter = LOWER_IS_BETTER.contains(e.getKey()) ? d < 0 : d > 0;
            better.append(d == 0 ? "=" : tunedBetter ? tuned.name() : baseline.name());
        }
        return Tables.formatNumbers(Table.create(baseline.name() + " vs " + tuned.name(), metric, base, tune, delta, better));
    }

    /** Each example's {@code metric} under both models and the delta, largest gain first. */
    public Table perExample(String metric) {
        DoubleColumn b = baseline.examples().doubleColumn(metric);
        DoubleColumn t = tuned.examples().doubleColumn(metric);
        Table out = Table.create(metric + " per example",
                IntColumn.create("example", baseline.examples().intColumn("example").asIntArray()),
                baseline.examples().stringColumn("prompt").copy(),
                baseline.examples().stringColumn("reference").copy(),
                baseline.examples().stringColumn("output").copy().setName(baseline.name() + " output"),
                tuned.examples().stringColumn("output").copy().setName(columnName() + " output"),
                b.copy().setName(baseline.name() + " " + metric),
                t.copy().setName(columnName() + " " + metric),
                t.subtract(b).setName("delta"));
        return Tables.formatNumbers(out.sortDescendingOn("delta"));
    }

    /**
     * Win rate of the tuned model's outputs (A) over the baseline's (B) under {@code judge}, both
     * orders judged, with a 95% bootstrap interval from 1,000 resamples (seed 0).
     */
    public WinRateResult winRate(WinRate.Judge judge) {
        return WinRate.ofBothOrders(baseline.examples().stringColumn("prompt").asList(),
                tuned.examples().stringColumn("output").asList(), baseline.examples().stringColumn("output").asList(),
                judge, WinRate.DEFAULT_RESAMPLES, WinRate.DEFAULT_CONFIDENCE, 0);
    }

    /** Grouped bars of the 0..100 metrics for both models. */
    public CategoryChart chart() {
        List<String> names = new ArrayList<>();
        List<Double> base = new ArrayList<>();
        List<Double> tune = new ArrayList<>();
        for (String m : CHARTED) {
            if (baseline.summary().containsKey(m) && tuned.summary().containsKey(m)) {
                names.add(m);
                base.add(baseline.summary().get(m));
                tune.add(tuned.summary().get(m));
            }
        }
        // Charts draws lines and points; the metrics here are categories, so a bar chart in Charts' house style
        CategoryChart chart = new CategoryChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT)
                .title(chartTitle()).xAxisTitle("metric").yAxisTitle("score (0–100)").build();
        var styler = chart.getStyler();
        styler.setXAxisLabelRotation(30);
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
        styler.setLegendLayout(Styler.LegendLayout.Horizontal);
        styler.setChartBackgroundColor(java.awt.Color.WHITE);
        styler.setYAxisMin(0.0);
        styler.setYAxisDecimalPattern("0");
        chart.addSeries(baseline.name(), names, base);
        chart.addSeries(columnName(), names, tune);
        return chart;
    }

    public EvaluationResult baseline() {
        return baseline;
    }

    public EvaluationResult tuned() {
        return tuned;
    }

    /** What the chart shows; the models' names only when neither is a run id. */
    private String chartTitle() {
        String names = baseline.name() + " vs " + tuned.name();
        return Charts.RUN_ID.matcher(names).find() ? "Held-out scores (0–100), baseline and tuned model"
                : "Held-out scores (0–100): " + names;
    }

    /** Two results with the same name still need two columns. */
    private String columnName() {
        return tuned.name().equals(baseline.name()) ? tuned.name() + " (2)" : tuned.name();
    }

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> m = new LinkedHashMap<>();
        Table t = table();
        String png = Charts.pngBase64(chart());
        m.put(MimeBundles.HTML, "<div class=\"tunelab-comparison\">" + Tables.html(t, t.rowCount())
                + "<img src=\"data:image/png;base64," + png + "\"/></div>");
        m.put(MimeBundles.PNG, png);
        m.put(MimeBundles.TEXT, Tables.text(t, t.rowCount()));
        return m;
    }

    @Override
    public String toString() {
        return Tables.text(table(), Integer.MAX_VALUE);
    }
}
