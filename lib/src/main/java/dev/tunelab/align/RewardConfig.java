package dev.tunelab.align;

import dev.tunelab.train.LrSchedule;
import dev.tunelab.train.TrainConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Settings of reward-model training: pairs per step, and a {@link TrainConfig} for what every
 * trainer shares, with defaults for the tiny models (60 steps, linear decay from 1e-3, a log line
 * every step): {@code new RewardConfig().batchSize(8).train(t -> t.steps(60).evalEvery(10))}.
 */
public final class RewardConfig {
    int batchSize = 8;
    TrainConfig train = new TrainConfig().steps(60).learningRate(1e-3).schedule(LrSchedule.Kind.LINEAR).logEvery(1)
            .runName("reward-model");

    /** Pairs per micro-batch (TRL: per_device_train_batch_size). */
    public RewardConfig batchSize(int v) { batchSize = Settings.positive(v, "batchSize"); return this; }
    /** Replaces the shared settings. */
    public RewardConfig train(TrainConfig v) { train = Objects.requireNonNull(v); return this; }
    /** Changes the shared settings, starting from this technique's defaults. */
    public RewardConfig train(UnaryOperator<TrainConfig> change) { train = Objects.requireNonNull(change.apply(train)); return this; }

    public int batchSize() { return batchSize; }
    public TrainConfig train() { return train; }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("batch_size", batchSize);
        m.put("loss", "bradley-terry");
        return m;
    }
}
