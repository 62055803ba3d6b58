package dev.tunelab.align;

import dev.tunelab.train.LrSchedule;
import dev.tunelab.train.TrainConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Settings of a preference-optimisation run: the method (DPO, IPO, cDPO, ORPO, KTO, SimPO, CPO), the pairs
 * per step, and a {@link TrainConfig} for everything every trainer shares, with TRL's defaults
 * where they fit the tiny models (linear decay, learning rate 5e-3, 50 steps, a log line every 5):
 * {@code new PreferenceConfig(DpoLoss.sigmoid(0.1)).batchSize(8).train(t -> t.steps(60))}.
 */
public final class PreferenceConfig {
    final PreferenceMethod method;
    int batchSize = 8;
    int referenceBatchSize = 16;
    TrainConfig train;

    public PreferenceConfig(PreferenceMethod method) {
        this.method = Objects.requireNonNull(method, "method");
        this.train = new TrainConfig().steps(50).learningRate(5e-3).schedule(LrSchedule.Kind.LINEAR).logEvery(5)
                .runName(method.label());
    }

    /** Pairs per micro-batch (TRL: per_device_train_batch_size); a micro-batch scores 2 x batchSize completions. */
    public PreferenceConfig batchSize(int v) { batchSize = Settings.positive(v, "batchSize"); return this; }
    /** Pairs per forward pass when the reference log-probabilities are computed up front. */
    public PreferenceConfig referenceBatchSize(int v) { referenceBatchSize = Settings.positive(v, "referenceBatchSize"); return this; }
    /** Replaces the shared settings (steps, learning rate, schedule, evaluation, checkpoints, run record). */
    public PreferenceConfig train(TrainConfig v) { train = Objects.requireNonNull(v); return this; }
    /** Changes the shared settings, starting from this technique's defaults: {@code .train(t -> t.steps(60))}. */
    public PreferenceConfig train(UnaryOperator<TrainConfig> change) { train = Objects.requireNonNull(change.apply(train)); return this; }

    public PreferenceMethod method() { return method; }
    public int batchSize() { return batchSize; }
    public TrainConfig train() { return train; }

    /** The technique's own settings as recorded in the run's config.json. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method.label());
        m.put("loss", method.toString());
        m.put("batch_size", batchSize);
        m.put("reference_batch_size", referenceBatchSize);
        return m;
    }
}
