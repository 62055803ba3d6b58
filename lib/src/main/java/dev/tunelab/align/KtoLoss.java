package dev.tunelab.align;

import dev.tunelab.train.LossOutput;
import ai.djl.ndarray.NDArray;
import dev.tunelab.model.Autograd;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Kahneman-Tversky optimisation (Ethayarajh et al. 2024) on unpaired completions labelled
 * desirable or undesirable, following TRL's {@code KTOTrainer.kto_loss}. With
 * r = log pi(y|x) - log ref(y|x) and the reference point z0 = max(0, mean over mismatched
 * (prompt, completion) pairs of log pi - log ref), a detached estimate of KL(pi || ref):
 * desirable completions lose w_d (1 - sigmoid(beta (r - z0))), undesirable ones
 * w_u (1 - sigmoid(beta (z0 - r))); the loss is the mean over all completions.
 */
public record KtoLoss(double beta, double desirableWeight, double undesirableWeight) implements PreferenceMethod {
    public KtoLoss {
        if (!(beta > 0)) {
            throw new IllegalArgumentException("beta must be positive, was " + beta);
        }
        if (!(desirableWeight > 0) || !(undesirableWeight > 0)) {
            throw new IllegalArgumentException("weights must be positive, were " + desirableWeight + " and " + undesirableWeight);
        }
    }

    /** TRL's defaults: equal weights (the paper suggests weighting so that w_d n_d / (w_u n_u) is in [1, 4/3]). */
    public static KtoLoss of(double beta) {
        return new KtoLoss(beta, 1, 1);
    }

    @Override
    public String label() {
        return "kto";
    }

    /**
     * @param policy (N) summed log-probabilities of the completions under the policy
     * @param reference (N) the same under the reference model
     * @param desirable N labels
     * @param policyKl (M) policy log-probabilities of mismatched (prompt, completion) pairs
     * @param referenceKl (M) reference log-probabilities of the same mismatched pairs
     */
    public LossOutput compute(NDArray policy, NDArray reference, boolean[] desirable, NDArray policyKl,
            NDArray referenceKl) {
        if (desirable.length != policy.getShape().get(0)) {
            throw new IllegalArgumentException(desirable.length + " labels for " + policy.getShape().get(0) + " completions");
        }
        double z0 = Math.max(0, LogSpace.mean(LogSpace.values(policyKl.sub(referenceKl)))); // read, so not differentiated
        float[] weights = new float[desirable.length];
        float[] sign = new float[desirable.length];
        for (int i = 0; i < desirable.length; i++) {
            weights[i] = (float) (desirable[i] ? desirableWeight : undesirableWeight);
            sign[i] = desirable[i] ? 1 : -1;
        }
        NDArray logRatio = policy.sub(reference);
        // desirable: 1 - sigmoid(beta (r - z0)); undesirable: 1 - sigmoid(beta (z0 - r)) = 1 - sigmoid(-beta (r - z0))
        NDArray signed = logRatio.sub(Autograd.scalar(logRatio, z0)).mul(Autograd.scalar(logRatio, beta))
                .mul(policy.getManager().create(sign).toType(policy.getDataType(), false));
        NDArray losses = Autograd.scalar(logRatio, 1).sub(signed.getNDArrayInternal().sigmoid())
                .mul(policy.getManager().create(weights).toType(policy.getDataType(), false));

        float[] p = LogSpace.values(policy);
        float[] r = LogSpace.values(reference);
        double chosen = 0;
        double rejected = 0;
        double logpChosen = 0;
        double logpRejected = 0;
        int nChosen = 0;
        for (int i = 0; i < p.length; i++) {
            if (desirable[i]) {
                chosen += beta * (p[i] - r[i]);
                logpChosen += p[i];
                nChosen++;
            } else {
                rejected += beta * (p[i] - r[i]);
                logpRejected += p[i];
            }
        }
        int nRejected = p.length - nChosen;
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("rewards/chosen", nChosen == 0 ? Double.NaN : chosen / nChosen);
        m.put("rewards/rejected", nRejected == 0 ? Double.NaN : rejected / nRejected);
        m.put("rewards/margins", m.get("rewards/chosen") - m.get("rewards/rejected"));
        m.put("logps/chosen", nChosen == 0 ? Double.NaN : logpChosen / nChosen);
        m.put("logps/rejected", nRejected == 0 ? Double.NaN : logpRejected / nRejected);
        m.put("kl", z0);
        return new LossOutput(losses.mean(), m);
    }
}
