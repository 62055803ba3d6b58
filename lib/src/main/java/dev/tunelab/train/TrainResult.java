package dev.tunelab.train;

import dev.tunelab.display.Charts;
import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import dev.tunelab.track.Run;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a {@link Trainer#fit} call did: the run record, the steps it covered, the last losses.
 * In a notebook it shows the loss curve.
 */
public record TrainResult(Run run, int startStep, int endStep, double finalLoss, double finalEvalLoss)
        implements Renderable {

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MimeBundles.PNG, Charts.pngBase64(run.historyTable().lossChart()));
        m.put(MimeBundles.TEXT, toString());
        return m;
    }

    @Override
    public String toString() {
        return String.format("TrainResult(run=%s, steps %d..%d, loss=%.4f%s)", run.id(), startStep, endStep, finalLoss,
                Double.isNaN(finalEvalLoss) ? "" : String.format(", eval_loss=%.4f", finalEvalLoss));
    }
}
