package dev.tunelab.align;

import ai.djl.ndarray.NDArray;
import dev.tunelab.model.Autograd;

/**
 * Per-token estimates of KL(policy || reference) from the log-probabilities of a token sampled
 * from the policy, named as in Schulman's note "Approximating KL Divergence" (2020). With
 * log r = logp_ref - logp: k1 = -log r (unbiased, can be negative), k2 = (log r)^2 / 2 (low
 * variance, biased), k3 = (r - 1) - log r (unbiased and never negative). TRL's PPO calls k1 "kl"
 * and k2 "mse"; its GRPO and DeepSeekMath (Shao et al. 2024, eq. 4) use k3.
 */
public enum KlEstimator {
    K1, K2, K3;

    /** The estimate for one token. */
    public double perToken(double logp, double refLogp) {
        double logRatio = refLogp - logp;
        return switch (this) {
            case K1 -> -logRatio;
            case K2 -> 0.5 * logRatio * logRatio;
            case K3 -> Math.expm1(logRatio) - logRatio;
        };
    }

    /** The estimate for every token, differentiable in {@code logp} (for a KL term in a loss). */
    public NDArray perToken(NDArray logp, NDArray refLogp) {
        NDArray logRatio = refLogp.sub(logp);
        return switch (this) {
            case K1 -> logRatio.neg();
            case K2 -> logRatio.square().mul(Autograd.scalar(logRatio, 0.5));
            case K3 -> logRatio.exp().sub(logRatio).sub(Autograd.scalar(logRatio, 1));
        };
    }
}
