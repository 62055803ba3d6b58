package dev.tunelab.align;

import dev.tunelab.train.LrSchedule;
import dev.tunelab.train.TrainConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Settings of a PPO run with TRL's names where it has them (PPOConfig), defaults sized for the tiny
 * models: {@code new PpoConfig().batchSize(16).adaptiveKl(0.1, 4, 2000).train(t -> t.steps(30))}.
 */
public final class PpoConfig {
    int batchSize = 16;
    int miniBatchSize = 8;
    int ppoEpochs = 4;
    int maxNewTokens = 32;
    boolean stopAtEos = true;
    double clipRange = 0.2;
    double clipRangeValue = 0.2;
    double valueCoef = 0.1;
    double gamma = 1.0;
    double lambda = 0.95;
    double klCoef = 0.05;
    double klTarget = Double.NaN;
    double klHorizon = 10_000;
    KlEstimator klEstimator = KlEstimator.K1;
    TrainConfig train = new TrainConfig().steps(20).learningRate(1e-3).schedule(LrSchedule.Kind.CONSTANT).logEvery(1)
            .runName("ppo");
    double targetKl = 0;

    /** Prompts (episodes) per rollout batch (TRL: batch_size). */
    public PpoConfig batchSize(int v) { batchSize = Settings.positive(v, "batchSize"); return this; }
    /** Episodes per gradient step (TRL: mini_batch_size); batchSize / miniBatchSize steps per PPO epoch. */
    public PpoConfig miniBatchSize(int v) { miniBatchSize = Settings.positive(v, "miniBatchSize"); return this; }
    /** Passes over each rollout batch (TRL: ppo_epochs, 4). */
    public PpoConfig ppoEpochs(int v) { ppoEpochs = Settings.positive(v, "ppoEpochs"); return this; }
    public PpoConfig maxNewTokens(int v) { maxNewTokens = Settings.positive(v, "maxNewTokens"); return this; }
    /**
     * Whether a completion ends at the policy's EOS (default) or always has maxNewTokens tokens, as
     * Ziegler et al. 2019 sample them (then the length cannot be used to game a learned reward).
     */
    public PpoConfig stopAtEos(boolean v) { stopAtEos = v; return this; }
    /** epsilon of the clipped surrogate (TRL: cliprange, 0.2). */
    public PpoConfig clipRange(double v) { clipRange = v; return this; }
    /** How far a value prediction may move from the rollout's (TRL: cliprange_value, 0.2). */
    public PpoConfig clipRangeValue(double v) { clipRangeValue = v; return this; }
    /** Weight of the value loss (TRL: vf_coef, 0.1). */
    public PpoConfig valueCoef(double v) { valueCoef = v; return this; }
    public PpoConfig gamma(double v) { gamma = v; return this; }
    /** GAE's lambda (TRL: lam, 0.95). */
    public PpoConfig lambda(double v) { lambda = v; return this; }
    /** A fixed KL coefficient beta (TRL's PPOTrainer: kl_coef 0.05). */
    public PpoConfig fixedKl(double beta) { klCoef = beta; klTarget = Double.NaN; return this; }
    /** The adaptive controller of Ziegler et al. 2019, steering the KL per completion towards {@code target} nats. */
    public PpoConfig adaptiveKl(double initialBeta, double target, double horizon) {
        klCoef = initialBeta;
        klTarget = target;
        klHorizon = horizon;
        return this;
    }
    /** The per-token KL estimate in the reward (default k1, TRL's "kl"). */
    public PpoConfig klEstimator(KlEstimator v) { klEstimator = v; return this; }
    /**
     * Early stop: a rollout batch's PPO epochs end as soon as a minibatch's approx-KL to the rollout
     * policy exceeds 1.5 x this (TRL's early_stopping with target_kl; OpenAI Spinning Up's PPO); 0 never stops.
     */
    public PpoConfig targetKl(double v) { targetKl = v; return this; }


    /** Replaces the shared settings: steps (rollout batches), learning rate (constant by default), clipping, seed, run record. */
    public PpoConfig train(TrainConfig v) { train = java.util.Objects.requireNonNull(v); return this; }
    /** Changes the shared settings, starting from this technique's defaults: {@code .train(t -> t.steps(30))}. */
    public PpoConfig train(java.util.function.UnaryOperator<TrainConfig> change) { train = java.util.Objects.requireNonNull(change.apply(train)); return this; }
    public TrainConfig train() { return train; }

    KlController klController() {
        return Double.isNaN(klTarget) ? KlController.fixed(klCoef) : KlController.adaptive(klCoef, klTarget, klHorizon);
    }

    /** The settings as recorded in the run's config.json. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("batch_size", batchSize);
        m.put("mini_batch_size", miniBatchSize);
        m.put("ppo_epochs", ppoEpochs);
        m.put("max_new_tokens", maxNewTokens);
        m.put("stop_at_eos", stopAtEos);
        m.put("cliprange", clipRange);
        m.put("cliprange_value", clipRangeValue);
        m.put("vf_coef", valueCoef);
        m.put("gamma", gamma);
        m.put("lam", lambda);
        m.put("kl_coef", klCoef);
        m.put("adap_kl_ctrl", !Double.isNaN(klTarget));
        if (!Double.isNaN(klTarget)) {
            m.put("target", klTarget);
            m.put("horizon", klHorizon);
        }
        m.put("kl_estimator", klEstimator.name().toLowerCase());
        m.put("target_kl", targetKl);
        return m;
    }
}
