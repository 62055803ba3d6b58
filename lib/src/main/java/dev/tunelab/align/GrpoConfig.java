package dev.tunelab.align;

import dev.tunelab.train.LrSchedule;
import dev.tunelab.train.TrainConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Settings of a GRPO run with TRL's names where it has them (GRPOConfig), defaults sized for the
 * tiny models: {@code new GrpoConfig().promptsPerStep(4).groupSize(8).beta(0.04).train(t -> t.steps(30))}.
 */
public final class GrpoConfig {
    int promptsPerStep = 4;
    int groupSize = 8;
    int iterations = 1;
    int miniBatchSize = 32;
    int maxNewTokens = 32;
    boolean stopAtEos = true;
    double clipRange = 0.2;
    double beta = 0.04;
    TrainConfig train = new TrainConfig().steps(20).learningRate(1e-3).schedule(LrSchedule.Kind.CONSTANT).logEvery(1)
            .runName("grpo");

    /** Distinct prompts per step; each is sampled groupSize times. */
    public GrpoConfig promptsPerStep(int v) { promptsPerStep = Settings.positive(v, "promptsPerStep"); return this; }
    /** Completions per prompt, G in the paper (TRL: num_generations). */
    public GrpoConfig groupSize(int v) {
        if (v < 2) {
            throw new IllegalArgumentException(
                    "groupSize must be at least 2 (advantages are relative to the group), got " + v);
        }
        groupSize = v;
        return this;
    }
    /** Passes over each generation batch, mu in the paper (TRL: num_iterations, 1). */
    public GrpoConfig iterations(int v) { iterations = Settings.positive(v, "iterations"); return this; }
    /** Completions per AdamW step. */
    public GrpoConfig miniBatchSize(int v) { miniBatchSize = Settings.positive(v, "miniBatchSize"); return this; }
    public GrpoConfig maxNewTokens(int v) { maxNewTokens = Settings.positive(v, "maxNewTokens"); return this; }
    /**
     * Whether a completion ends at the policy's EOS (default) or always has maxNewTokens tokens, as
     * Ziegler et al. 2019 sample them (then the length cannot be used to game a learned reward).
     */
    public GrpoConfig stopAtEos(boolean v) { stopAtEos = v; return this; }
    /** epsilon of the clipped ratio (TRL: epsilon, 0.2). */
    public GrpoConfig clipRange(double v) { clipRange = v; return this; }
    /** Weight of the k3 KL term to the reference (TRL: beta, 0.04; 0 drops the reference). */
    public GrpoConfig beta(double v) { beta = v; return this; }


    /** Replaces the shared settings: steps (generation batches), learning rate (constant by default), clipping, seed, run record. */
    public GrpoConfig train(TrainConfig v) { train = java.util.Objects.requireNonNull(v); return this; }
    /** Changes the shared settings, starting from this technique's defaults: {@code .train(t -> t.steps(30))}. */
    public GrpoConfig train(java.util.function.UnaryOperator<TrainConfig> change) { train = java.util.Objects.requireNonNull(change.apply(train)); return this; }
    public TrainConfig train() { return train; }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompts_per_step", promptsPerStep);
        m.put("num_generations", groupSize);
        m.put("num_iterations", iterations);
        m.put("mini_batch_size", miniBatchSize);
        m.put("max_completion_length", maxNewTokens);
        m.put("stop_at_eos", stopAtEos);
        m.put("epsilon", clipRange);
        m.put("beta", beta);
        return m;
    }
}
