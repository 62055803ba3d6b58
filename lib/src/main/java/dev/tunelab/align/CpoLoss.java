package dev.tunelab.align;

import ai.djl.ndarray.NDArray;
import dev.tunelab.model.Autograd;
import dev.tunelab.train.LossOutput;
import java.util.Map;

/**
 * Contrastive preference optimisation (Xu et al. 2024, "Contrastive Preference Optimization"), no
 * reference model: -log sigmoid(beta (log pi(y_w) - log pi(y_l))) on summed
 * log-probabilities (DPO with the reference dropped, the paper's uniform-reference approximation),
 * plus alpha times the negative log-likelihood of the chosen completions (the NLL term of the
 * paper's final objective, a behaviour-cloning regulariser). As TRL's {@code CPOTrainer} with
 * {@code loss_type="sigmoid"}: beta 0.1 and {@code cpo_alpha} 1.0 by default, the NLL averaged
 * over the chosen completions' tokens.
 */
public record CpoLoss(double beta, double alpha) implements PreferenceMethod {
    public CpoLoss {
        if (!(beta > 0)) {
            throw new IllegalArgumentException("beta must be positive, was " + beta);
        }
        if (!(alpha >= 0)) {
            throw new IllegalArgumentException("alpha (the NLL weight) must be >= 0, was " + alpha);
        }
    }

    /** TRL's CPOConfig defaults: beta 0.1, cpo_alpha 1.0. */
    public static CpoLoss defaults() {
        return new CpoLoss(0.1, 1.0);
    }

    @Override
    public String label() {
        return "cpo";
    }

    @Override
    public boolean needsReference() {
        return false;
    }

    /** The batch loss and TRL's metrics (rewards are beta times the summed log-probabilities). */
    public LossOutput compute(SequenceLogProbs chosen, SequenceLogProbs rejected) {
        NDArray pc = chosen.sum();
        NDArray pr = rejected.sum();
        NDArray preference = LogSpace.logSigmoid(pc.sub(pr).mul(Autograd.scalar(pc, beta))).mean().neg();
        NDArray nll = chosen.tokenMeanNll();
        NDArray loss = preference.add(nll.mul(Autograd.scalar(nll, alpha)));
        Map<String, Double> m = DpoLoss.metrics(beta, pc, pr, pc.zerosLike(), pr.zerosLike());
        m.put("nll_loss", (double) LogSpace.values(nll)[0]);
        return new LossOutput(loss, m);
    }
}
