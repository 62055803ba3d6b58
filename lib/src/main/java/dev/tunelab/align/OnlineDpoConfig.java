package dev.tunelab.align;

import dev.tunelab.eval.RewardFunction;
import dev.tunelab.train.LrSchedule;
import dev.tunelab.train.TrainConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Settings of an online DPO run with TRL's names where it has them (OnlineDPOConfig), defaults
 * sized for the tiny models: {@code new OnlineDpoConfig().loss(DpoLoss.sigmoid(0.1)).promptsPerStep(8)}.
 */
public final class OnlineDpoConfig {
    DpoLoss loss = DpoLoss.sigmoid(0.1);
    int promptsPerStep = 8;
    int maxNewTokens = 32;
    boolean stopAtEos = true;
    RewardFunction monitor;
    TrainConfig train = new TrainConfig().steps(20).learningRate(1e-3).schedule(LrSchedule.Kind.CONSTANT).logEvery(1)
            .runName("online-dpo");

    /** The DPO loss on the judged pairs: sigmoid (TRL's default, beta 0.1) or IPO ({@code DpoLoss.ipo}); TRL has no label smoothing here. */
    public OnlineDpoConfig loss(DpoLoss v) {
        if (v.labelSmoothing() != 0) {
            throw new IllegalArgumentException("online DPO takes the sigmoid or the IPO loss (TRL's OnlineDPOConfig.loss_type), "
                    + "not label smoothing " + v.labelSmoothing());
        }
        loss = v;
        return this;
    }
    /** Prompts per step (TRL: per_device_train_batch_size); each is sampled twice, so one step trains on this many pairs. */
    public OnlineDpoConfig promptsPerStep(int v) { promptsPerStep = Settings.positive(v, "promptsPerStep"); return this; }
    /** TRL: max_new_tokens. */
    public OnlineDpoConfig maxNewTokens(int v) { maxNewTokens = Settings.positive(v, "maxNewTokens"); return this; }
    /** Whether a completion ends at the policy's EOS (default) or always has maxNewTokens tokens. */
    public OnlineDpoConfig stopAtEos(boolean v) { stopAtEos = v; return this; }
    /**
     * A reward to watch: each sampled completion's score is logged as {@code objective/scores}; it
     * does not train anything (the judge decides the pairs). Null (default) logs none.
     */
    public OnlineDpoConfig monitor(RewardFunction v) { monitor = v; return this; }

    /** Replaces the shared settings: steps, learning rate (constant by default), clipping, seed, run record. */
    public OnlineDpoConfig train(TrainConfig v) { train = Objects.requireNonNull(v); return this; }
    /** Changes the shared settings, starting from this technique's defaults: {@code .train(t -> t.steps(30))}. */
    public OnlineDpoConfig train(UnaryOperator<TrainConfig> change) { train = Objects.requireNonNull(change.apply(train)); return this; }
    public TrainConfig train() { return train; }
    public DpoLoss loss() { return loss; }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("loss_type", loss.type() == DpoLoss.Type.IPO ? "ipo" : "sigmoid");
        m.put("beta", loss.beta());
        m.put("prompts_per_step", promptsPerStep);
        m.put("max_new_tokens", maxNewTokens);
        m.put("stop_at_eos", stopAtEos);
        m.put("monitor", monitor != null);
        return m;
    }
}
