package dev.tunelab.train;

import dev.tunelab.display.Charts;
import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Numbers;
import dev.tunelab.display.Renderable;
import dev.tunelab.track.Run;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a training run did, whichever trainer ran it: the run record, the steps it covered (from
 * {@code startStep} when it resumed), the last logged step's metrics and the last held-out
 * metrics (without their {@code eval_} prefix), the best held-out loss and its step, and what
 * the trainer added to the summary. In a notebook it shows its key metrics by step, one chart
 * per quantity, and a line of numbers.
 */
public record TrainResult(String technique, Run run, int startStep, int endStep, Map<String, Double> metrics,
        Map<String, Double> evalMetrics, double bestEvalLoss, int bestStep, Map<String, Object> extras,
        List<String> charted) implements Renderable {

    public TrainResult {
        metrics = Map.copyOf(metrics);
        evalMetrics = Map.copyOf(evalMetrics);
        extras = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extras));
        charted = List.copyOf(charted);
    }

    /** The last logged training loss (NaN when the trainer has no single loss, as PPO). */
    public double finalLoss() {
        return metrics.getOrDefault("loss", Double.NaN);
    }

    /** The last held-out loss (NaN without held-out data). */
    public double finalEvalLoss() {
        return evalMetrics.getOrDefault("loss", Double.NaN);
    }

    /** A last-step metric by its logged name, e.g. {@code rewards/margins}; NaN when it was not logged. */
    public double metric(String name) {
        return metrics.getOrDefault(name, Double.NaN);
    }

    /** A last held-out metric by its name without the {@code eval_} prefix; NaN when there is none. */
    public double evalMetric(String name) {
        return evalMetrics.getOrDefault(name, Double.NaN);
    }

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> m = new LinkedHashMap<>();
        StringBuilder html = new StringBuilder("<div>");
        for (String metric : charted) {
            var chart = Charts.byStep(title(metric), run.history(), List.of(metric, "eval_" + metric));
            if (!chart.getSeriesMap().isEmpty()) {
                html.append("<img src=\"data:image/png;base64,").append(Charts.pngBase64(chart)).append("\"/>");
            }
        }
        html.append("<pre>").append(toString().replace("&", "&amp;").replace("<", "&lt;")).append("</pre></div>");
        m.put(MimeBundles.HTML, html.toString());
        m.put(MimeBundles.TEXT, toString());
        return m;
    }

    /** The run's name (what the user called it; never the generated id) and the metric. */
    private String title(String metric) {
        return run.name() + ": " + metric + " by step";
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(technique).append(" run ").append(run.name())
                .append(", steps ").append(startStep).append("..").append(endStep);
        for (String metric : charted) {
            if (metrics.containsKey(metric)) {
                s.append(", ").append(metric).append(' ').append(fmt(metrics.get(metric)));
            }
        }
        if (!evalMetrics.isEmpty() && evalMetrics.containsKey("loss")) {
            s.append(", held-out loss ").append(fmt(finalEvalLoss()));
        }
        if (bestStep > 0) {
            s.append(", best held-out loss ").append(fmt(bestEvalLoss)).append(" at step ").append(bestStep);
        }
        return s.toString();
    }

    private static String fmt(double v) {
        return Numbers.format(v);
    }
}
