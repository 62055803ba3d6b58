package dev.tunelab.align;

import dev.tunelab.train.LossOutput;
import ai.djl.ndarray.NDArray;
import dev.tunelab.model.Autograd;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Direct preference optimisation (Rafailov et al. 2023) and identity preference optimisation
 * (Azar et al. 2023) on sequence log-probabilities of (chosen, rejected) completions under the
 * policy and the reference model, following TRL's {@code DPOTrainer.dpo_loss}.
 *
 * <p>With h = (log pi(y_w) - log pi(y_l)) - (log ref(y_w) - log ref(y_l)):
 * <ul>
 *   <li>sigmoid: -(1 - eps) log sigmoid(beta h) - eps log sigmoid(-beta h); eps &gt; 0 is the
 *       label-smoothed "conservative DPO" (Mitchell 2023, TRL's {@code label_smoothing});</li>
 *   <li>IPO: (h - 1/(2 beta))^2, on length-normalised (mean) log-probabilities as TRL computes it.</li>
 * </ul>
 * The implicit rewards are beta (log pi - log ref) of each completion.
 */
public record DpoLoss(Type type, double beta, double labelSmoothing) implements PreferenceMethod {
    public enum Type { SIGMOID, IPO }

    public DpoLoss {
        if (!(beta > 0)) {
            throw new IllegalArgumentException("beta must be positive, was " + beta);
        }
        if (labelSmoothing < 0 || labelSmoothing >= 0.5) {
            throw new IllegalArgumentException("labelSmoothing must be in [0, 0.5), was " + labelSmoothing);
        }
        if (type == Type.IPO && labelSmoothing != 0) {
            throw new IllegalArgumentException("label smoothing applies to the sigmoid loss only");
        }
    }

    /** DPO's sigmoid loss; the DPO paper's controlled experiments use beta 0.05 to 5, TRL defaults to 0.1. */
    public static DpoLoss sigmoid(double beta) {
        return new DpoLoss(Type.SIGMOID, beta, 0);
    }

    /** Conservative DPO: the preference labels are flipped with probability {@code eps}. */
    public static DpoLoss conservative(double beta, double eps) {
        return new DpoLoss(Type.SIGMOID, beta, eps);
    }

    /** IPO; beta is the paper's tau, the target margin is 1/(2 beta). */
    public static DpoLoss ipo(double beta) {
        return new DpoLoss(Type.IPO, beta, 0);
    }

    @Override
    public String label() {
        return type == Type.IPO ? "ipo" : labelSmoothing > 0 ? "cdpo" : "dpo";
    }

    /** IPO compares mean log-probabilities per token, DPO summed ones (TRL's convention). */
    public boolean usesMeanLogProbs() {
        return type == Type.IPO;
    }

    /** The batch-mean loss and TRL's metrics; every argument is (B). */
    public LossOutput compute(NDArray policyChosen, NDArray policyRejected, NDArray referenceChosen,
            NDArray referenceRejected) {
        NDArray h = policyChosen.sub(policyRejected).sub(referenceChosen.sub(referenceRejected));
        NDArray losses;
        if (type == Type.SIGMOID) {
            NDArray scaled = h.mul(Autograd.scalar(h, beta));
            losses = LogSpace.logSigmoid(scaled).mul(Autograd.scalar(h, -(1 - labelSmoothing)));
            if (labelSmoothing > 0) {
                losses = losses.sub(LogSpace.logSigmoid(scaled.neg()).mul(Autograd.scalar(h, labelSmoothing)));
            }
        } else {
            losses = h.sub(Autograd.scalar(h, 1 / (2 * beta))).square();
        }
        return new LossOutput(losses.mean(), metrics(beta, policyChosen, policyRejected, referenceChosen, referenceRejected));
    }

    /** rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins, logps/chosen, logps/rejected. */
    static Map<String, Double> metrics(double beta, NDArray policyChosen, NDArray policyRejected,
            NDArray referenceChosen, NDArray referenceRejected) {
        float[] pc = LogSpace.values(policyChosen);
        float[] pr = LogSpace.values(policyRejected);
        float[] rc = LogSpace.values(referenceChosen);
        float[] rr = LogSpace.values(referenceRejected);
        double chosen = 0;
        double rejected = 0;
        double correct = 0;
        for (int i = 0; i < pc.length; i++) {
            double c = beta * (pc[i] - rc[i]);
            double r = beta * (pr[i] - rr[i]);
            chosen += c;
            rejected += r;
            correct += c > r ? 1 : 0;
        }
        int n = pc.length;
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("rewards/chosen", chosen / n);
        m.put("rewards/rejected", rejected / n);
        m.put("rewards/accuracies", correct / n);
        m.put("rewards/margins", (chosen - rejected) / n);
        m.put("logps/chosen", LogSpace.mean(pc));
        m.put("logps/rejected", LogSpace.mean(pr));
        return m;
    }
}
