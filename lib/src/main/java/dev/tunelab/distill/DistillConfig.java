package dev.tunelab.distill;

import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.train.TrainConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link Distiller} mixes its losses, on top of the optimizer settings of a {@link TrainConfig}.
 * Chain the setters: {@code new DistillConfig().alpha(0.5).temperature(2).train(new TrainConfig().steps(100))}.
 */
public final class DistillConfig {
    /** Which KL the distillation term is. */
    public enum Divergence { FORWARD_KL, REVERSE_KL }

    double alpha = 0.5;
    double temperature = 1.0;
    Divergence divergence = Divergence.FORWARD_KL;
    double onPolicyFraction = 0;
    GenerationConfig onPolicySampling = GenerationConfig.sample(1.0).maxNewTokens(128);
    TrainConfig train = new TrainConfig();

    /** Weight of the distillation term; 1 - alpha goes to the hard-label loss (Hinton et al. 2015). Default 0.5. */
    public DistillConfig alpha(double v) {
        if (v < 0 || v > 1) throw new IllegalArgumentException("alpha must be in [0, 1], got " + v);
        alpha = v;
        return this;
    }

    /** Softmax temperature of both distributions; the loss is scaled by T^2. Default 1. */
    public DistillConfig temperature(double v) {
        if (v <= 0) throw new IllegalArgumentException("temperature must be > 0, got " + v);
        temperature = v;
        return this;
    }

    public DistillConfig divergence(Divergence v) { divergence = Objects.requireNonNull(v); return this; }

    /**
     * Share of steps whose batch the student writes itself (GKD's lambda, Agarwal et al. 2024): the
     * batch's prompts, the student's sampled continuations, the teacher's distributions on them,
     * and the distillation loss alone (a sampled token is no gold label). Default 0 (off).
     */
    public DistillConfig onPolicyFraction(double v) {
        if (v < 0 || v > 1) throw new IllegalArgumentException("onPolicyFraction must be in [0, 1], got " + v);
        onPolicyFraction = v;
        return this;
    }

    /** How the student samples on on-policy steps (the seed is replaced by one per step). */
    public DistillConfig onPolicySampling(GenerationConfig v) { onPolicySampling = Objects.requireNonNull(v); return this; }

    /** Steps, learning rate and schedule, clipping, evaluation, the run's name and directory. */
    public DistillConfig train(TrainConfig v) { train = Objects.requireNonNull(v); return this; }

    /** Changes the shared settings, starting from the current ones: {@code .train(t -> t.steps(100))}. */
    public DistillConfig train(java.util.function.UnaryOperator<TrainConfig> change) {
        train = Objects.requireNonNull(change.apply(train));
        return this;
    }

    public TrainConfig train() { return train; }

    /** The settings as a flat map, recorded in the run's config.json. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("alpha", alpha);
        m.put("temperature", temperature);
        m.put("divergence", divergence.name().toLowerCase());
        m.put("on_policy_fraction", onPolicyFraction);
        m.put("on_policy_temperature", onPolicySampling.temperature());
        m.put("on_policy_max_new_tokens", onPolicySampling.maxNewTokens());
        return m;
    }
}
