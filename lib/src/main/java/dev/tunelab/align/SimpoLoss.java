package dev.tunelab.align;

import ai.djl.ndarray.NDArray;
import dev.tunelab.model.Autograd;
import dev.tunelab.train.LossOutput;
import java.util.Map;

/**
 * Simple preference optimisation (Meng, Xia &amp; Chen 2024, "SimPO", eq. 6), no reference model:
 * -log sigmoid(beta (mean log pi(y_w) - mean log pi(y_l)) - gamma), each mean taken over the
 * completion's tokens so that a longer completion earns no larger reward, and gamma a target margin
 * between the two rewards beta * mean log pi. As TRL's {@code CPOTrainer} with
 * {@code loss_type="simpo"} and {@code cpo_alpha=0} (there {@code simpo_gamma} is gamma), which
 * computes the loss as beta * ((mean_w - mean_l) - gamma / beta): the same number.
 */
public record SimpoLoss(double beta, double gamma) implements PreferenceMethod {
    public SimpoLoss {
        if (!(beta > 0)) {
            throw new IllegalArgumentException("beta must be positive, was " + beta);
        }
        if (!(gamma >= 0)) {
            throw new IllegalArgumentException("gamma (the target reward margin) must be >= 0, was " + gamma);
        }
    }

    /**
     * The SimPO authors' starting point: beta 2.0 (princeton-nlp/SimPO simpo_config.py) and
     * gamma / beta = 0.5 (their README: "We recommend using 0.5 as a starting point for gamma_beta_ratio").
     */
    public static SimpoLoss defaults() {
        return new SimpoLoss(2.0, 1.0);
    }

    @Override
    public String label() {
        return "simpo";
    }

    @Override
    public boolean needsReference() {
        return false;
    }

    /** The batch-mean loss and TRL's metrics (rewards are beta times the mean log-probabilities). */
    public LossOutput compute(SequenceLogProbs chosen, SequenceLogProbs rejected) {
        NDArray pc = chosen.mean();
        NDArray pr = rejected.mean();
        NDArray logits = pc.sub(pr).mul(Autograd.scalar(pc, beta)).sub(Autograd.scalar(pc, gamma));
        NDArray loss = LogSpace.logSigmoid(logits).mean().neg();
        Map<String, Double> m = DpoLoss.metrics(beta, pc, pr, pc.zerosLike(), pr.zerosLike());
        return new LossOutput(loss, m);
    }
}
