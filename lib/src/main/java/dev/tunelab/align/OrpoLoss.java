package dev.tunelab.align;

import dev.tunelab.train.LossOutput;
import ai.djl.ndarray.NDArray;
import dev.tunelab.model.Autograd;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Odds-ratio preference optimisation (Hong et al. 2024), no reference model: the SFT loss on the
 * chosen completion plus lambda times -log sigmoid(log odds(y_w) - log odds(y_l)), where
 * odds(y) = P(y) / (1 - P(y)) and log P(y) is the mean per-token log-probability. As TRL's
 * {@code ORPOTrainer.odds_ratio_loss} (its {@code beta} is the paper's lambda, default 0.1).
 */
public record OrpoLoss(double lambda) implements PreferenceMethod {
    public OrpoLoss {
        if (!(lambda >= 0)) {
            throw new IllegalArgumentException("lambda must be >= 0, was " + lambda);
        }
    }

    @Override
    public String label() {
        return "orpo";
    }

    @Override
    public boolean needsReference() {
        return false;
    }

    /** The batch loss and TRL's metrics (rewards are lambda times the mean log-probabilities). */
    public LossOutput compute(SequenceLogProbs chosen, SequenceLogProbs rejected) {
        NDArray pc = chosen.mean();
        NDArray pr = rejected.mean();
        // log odds(y_w) - log odds(y_l) = (log P_w - log P_l) - (log(1 - P_w) - log(1 - P_l))
        NDArray logOdds = pc.sub(pr).sub(LogSpace.log1mExp(pc).sub(LogSpace.log1mExp(pr)));
        NDArray ratio = LogSpace.logSigmoid(logOdds);
        // token-weighted NLL of the chosen completions, as the cross entropy over the chosen labels in TRL
        NDArray nll = chosen.tokenMeanNll();
        NDArray loss = nll.sub(ratio.mean().mul(Autograd.scalar(pc, lambda)));

        float[] c = LogSpace.values(pc);
        float[] r = LogSpace.values(pr);
        Map<String, Double> m = new LinkedHashMap<>();
        double correct = 0;
        for (int i = 0; i < c.length; i++) {
            correct += c[i] > r[i] ? 1 : 0;
        }
        m.put("rewards/chosen", lambda * LogSpace.mean(c));
        m.put("rewards/rejected", lambda * LogSpace.mean(r));
        m.put("rewards/accuracies", correct / c.length);
        m.put("rewards/margins", lambda * (LogSpace.mean(c) - LogSpace.mean(r)));
        m.put("logps/chosen", LogSpace.mean(c));
        m.put("logps/rejected", LogSpace.mean(r));
        m.put("nll_loss", (double) LogSpace.values(nll)[0]);
        m.put("log_odds_ratio", LogSpace.mean(LogSpace.values(ratio)));
        m.put("log_odds_chosen", LogSpace.mean(LogSpace.values(logOdds)));
        return new LossOutput(loss, m);
    }
}
