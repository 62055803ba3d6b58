package dev.tunelab.align;

import dev.tunelab.train.LrSchedule;
import dev.tunelab.train.TrainConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Settings of an RLOO run with TRL's names where it has them (RLOOConfig), defaults sized for the
 * tiny models: {@code new RlooConfig().promptsPerStep(4).k(4).beta(0.05).train(t -> t.steps(30))}.
 */
public final class RlooConfig {
    int promptsPerStep = 4;
    int k = 4;
    int iterations = 1;
    int miniBatchSize = 32;
    int maxNewTokens = 32;
    boolean stopAtEos = true;
    double clipRange = 0.2;
    double beta = 0.05;
    TrainConfig train = new TrainConfig().steps(20).learningRate(1e-3).schedule(LrSchedule.Kind.CONSTANT).logEvery(1)
            .runName("rloo");

    /** Distinct prompts per step; each is sampled k times. */
    public RlooConfig promptsPerStep(int v) { promptsPerStep = Settings.positive(v, "promptsPerStep"); return this; }
    /** Completions per prompt (TRL: rloo_k, 2 there; the paper uses 2 and 4). */
    public RlooConfig k(int v) {
        if (v < 2) {
            throw new IllegalArgumentException("k must be at least 2 (each completion's baseline is the others' mean), got " + v);
        }
        k = v;
        return this;
    }
    /**
     * Passes over each generation batch (TRL: num_ppo_epochs). 1, the default, with one minibatch is
     * plain REINFORCE with the leave-one-out baseline, as in the paper; more reuse the samples with
     * the sequence-level clipped ratio TRL uses.
     */
    public RlooConfig iterations(int v) { iterations = Settings.positive(v, "iterations"); return this; }
    /** Completions per AdamW step. */
    public RlooConfig miniBatchSize(int v) { miniBatchSize = Settings.positive(v, "miniBatchSize"); return this; }
    public RlooConfig maxNewTokens(int v) { maxNewTokens = Settings.positive(v, "maxNewTokens"); return this; }
    /** Whether a completion ends at the policy's EOS (default) or always has maxNewTokens tokens. */
    public RlooConfig stopAtEos(boolean v) { stopAtEos = v; return this; }
    /** epsilon of the sequence-level clipped ratio (TRL: cliprange, 0.2). */
    public RlooConfig clipRange(double v) {
        if (!(v > 0)) {
            throw new IllegalArgumentException("clipRange must be positive, got " + v);
        }
        clipRange = v;
        return this;
    }
    /** Weight of the KL penalty in the reward, score - beta * KL(policy || reference) per completion (TRL: kl_coef, 0.05). */
    public RlooConfig beta(double v) {
        if (!(v >= 0)) {
            throw new IllegalArgumentException("beta must be >= 0, got " + v);
        }
        beta = v;
        return this;
    }

    /** Replaces the shared settings: steps (generation batches), learning rate (constant by default), clipping, seed, run record. */
    public RlooConfig train(TrainConfig v) { train = Objects.requireNonNull(v); return this; }
    /** Changes the shared settings, starting from this technique's defaults: {@code .train(t -> t.steps(30))}. */
    public RlooConfig train(UnaryOperator<TrainConfig> change) { train = Objects.requireNonNull(change.apply(train)); return this; }
    public TrainConfig train() { return train; }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompts_per_step", promptsPerStep);
        m.put("rloo_k", k);
        m.put("num_ppo_epochs", iterations);
        m.put("mini_batch_size", miniBatchSize);
        m.put("max_completion_length", maxNewTokens);
        m.put("stop_at_eos", stopAtEos);
        m.put("cliprange", clipRange);
        m.put("kl_coef", beta);
        return m;
    }
}
