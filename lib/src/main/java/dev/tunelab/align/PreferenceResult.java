package dev.tunelab.align;

import dev.tunelab.display.Charts;
import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import dev.tunelab.track.Run;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a {@link PreferenceTrainer#fit} call did: the run record, the steps it covered, the last
 * batch's metrics and the last held-out metrics (TRL's names). In a notebook it shows the
 * implicit-reward margin and accuracy by step.
 */
public record PreferenceResult(Run run, int startStep, int endStep, Map<String, Double> metrics,
        Map<String, Double> evalMetrics) implements Renderable {

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MimeBundles.PNG, Charts.pngBase64(run.historyTable().chart("rewards/margins", "rewards/accuracies")));
        m.put(MimeBundles.TEXT, toString());
        return m;
    }

    @Override
    public String toString() {
        return String.format("PreferenceResult(run=%s, steps %d..%d, loss=%.4f, margin=%.4f, accuracy=%.3f%s)", run.id(),
                startStep, endStep, metrics.getOrDefault("loss", Double.NaN),
                metrics.getOrDefault("rewards/margins", Double.NaN), metrics.getOrDefault("rewards/accuracies", Double.NaN),
                evalMetrics.isEmpty() ? "" : String.format(", eval accuracy=%.3f", evalMetrics.get("rewards/accuracies")));
    }
}
