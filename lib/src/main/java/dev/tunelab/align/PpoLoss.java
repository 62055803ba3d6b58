package dev.tunelab.align;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.model.Autograd;

/**
 * The PPO objective over the tokens of a minibatch of completions (Schulman et al. 2017,
 * "Proximal Policy Optimization Algorithms", eq. 7 and 9), with the value loss clipped as in
 * OpenAI's lm-human-preferences and TRL's PPOTrainer. All per-token tensors are (B, T); the mask
 * is 1 on completion tokens and 0 on padding, and means run over the masked tokens.
 *
 * <pre>
 * ratio       = exp(logp - logp_old)
 * policy loss = mean(max(-A ratio, -A clip(ratio, 1 - eps, 1 + eps)))
 * value loss  = 0.5 mean(max((V - R)^2, (clip(V, V_old - eps_v, V_old + eps_v) - R)^2))
 * loss        = policy loss + valueCoef * value loss
 * </pre>
 */
public final class PpoLoss {
    private PpoLoss() {}

    /**
     * The terms of one minibatch: {@code loss} carries the gradient; the rest are numbers to log.
     *
     * @param approxKl 0.5 mean((logp - logp_old)^2), the "k2" estimate of KL(old || new) that TRL's
     *     PPOTrainer logs as approxkl; large values mean the policy moved far from the one that sampled
     * @param clipFraction share of tokens whose ratio was clipped away (TRL's policy/clipfrac)
     * @param valueClipFraction share of tokens where the clipped value loss was the larger (val/clipfrac)
     */
    public record Terms(NDArray loss, double policyLoss, double valueLoss, double clipFraction,
            double valueClipFraction, double approxKl) {}

    public static Terms compute(NDArray logp, NDArray oldLogp, NDArray advantages, NDArray values, NDArray oldValues,
            NDArray returns, NDArray mask, double clipRange, double clipRangeValue, double valueCoef) {
        NDArray policyPerToken = clippedSurrogate(logp, oldLogp, advantages, clipRange);
        NDArray valuePerToken = clippedValueLoss(values, oldValues, returns, clipRangeValue);
        NDArray policyLoss = maskedMean(policyPerToken, mask);
        NDArray valueLoss = maskedMean(valuePerToken, mask);
        NDArray loss = policyLoss.add(valueLoss.mul(Autograd.scalar(valueLoss, valueCoef)));
        return Autograd.noGrad(() -> {
            NDArray unclippedPolicy = advantages.neg().mul(logp.sub(oldLogp).exp());
            NDArray unclippedValue = values.sub(returns).square().mul(0.5);
            NDArray logRatio = logp.sub(oldLogp);
            return new Terms(loss,
                    number(policyLoss),
                    number(valueLoss),
                    number(maskedMean(policyPerToken.gt(unclippedPolicy).toType(mask.getDataType(), false), mask)),
                    number(maskedMean(valuePerToken.gt(unclippedValue).toType(mask.getDataType(), false), mask)),
                    0.5 * number(maskedMean(logRatio.square(), mask)));
        });
    }

    private static double number(NDArray scalar) {
        return scalar.toType(DataType.FLOAT64, false).getDouble();
    }

    /** Per token: max(-A ratio, -A clip(ratio, 1 - eps, 1 + eps)), the negated clipped surrogate (PPO eq. 7). */
    public static NDArray clippedSurrogate(NDArray logp, NDArray oldLogp, NDArray advantages, double clipRange) {
        NDArray ratio = logp.sub(oldLogp).exp();
        NDArray clipped = ratio.maximum(Autograd.scalar(ratio, 1 - clipRange))
                .minimum(Autograd.scalar(ratio, 1 + clipRange));
        NDArray negAdvantages = advantages.neg();
        return negAdvantages.mul(ratio).maximum(negAdvantages.mul(clipped));
    }

    /**
     * Per token: 0.5 max((V - R)^2, (V_clipped - R)^2) with V_clipped = V_old + clip(V - V_old, -eps, eps),
     * so a value prediction gains nothing by moving further than eps from the one made at rollout time.
     */
    public static NDArray clippedValueLoss(NDArray values, NDArray oldValues, NDArray returns, double clipRangeValue) {
        NDArray clipped = values.maximum(oldValues.sub(Autograd.scalar(oldValues, clipRangeValue)))
                .minimum(oldValues.add(Autograd.scalar(oldValues, clipRangeValue)));
        NDArray unclippedLoss = values.sub(returns).square();
        NDArray clippedLoss = clipped.sub(returns).square();
        return unclippedLoss.maximum(clippedLoss).mul(Autograd.scalar(values, 0.5));
    }

    /** Mean of {@code x} over the entries where {@code mask} is 1 (the whole array's mean without padding). */
    public static NDArray maskedMean(NDArray x, NDArray mask) {
        return x.mul(mask).sum().div(mask.sum().maximum(Autograd.scalar(mask, 1)));
    }

    /**
     * Per-token entropy of the next-token distributions, logits (B, T, V) -> (B, T):
     * H = -sum_v p_v log p_v (TRL's entropy_from_logits computes the same). For logging only.
     */
    public static NDArray entropy(NDArray logits) {
        return Autograd.noGrad(() -> {
            NDArray logp = logits.logSoftmax(-1);
            return logp.exp().mul(logp).sum(new int[] {-1}).neg();
        });
    }
}
