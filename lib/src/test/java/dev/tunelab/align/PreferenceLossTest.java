package dev.tunelab.align;

import dev.tunelab.train.LossOutput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The losses against values worked out by hand (in double precision, from the formulas in the
 * papers and TRL's trainers) for fixed log-probabilities, and their gradients against the
 * derivatives of those formulas.
 */
class PreferenceLossTest {
    static final double[] POLICY_CHOSEN = {-3, -5};
    static final double[] POLICY_REJECTED = {-4, -4};
    static final double[] REF_CHOSEN = {-3.5, -4.5};
    static final double[] REF_REJECTED = {-3.5, -4};

    NDManager m;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    NDArray leaf(double... v) {
        NDArray a = m.create(v);
        a.setRequiresGradient(true);
        return a;
    }

    NDArray constant(double... v) {
        return m.create(v);
    }

    /** The loss value and d loss / d (policy chosen), d loss / d (policy rejected). */
    record Graded(double loss, double[] dChosen, double[] dRejected, LossOutput out) {}

    Graded dpo(DpoLoss loss) {
        NDArray pc = leaf(POLICY_CHOSEN);
        NDArray pr = leaf(POLICY_REJECTED);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            LossOutput out = loss.compute(pc, pr, constant(REF_CHOSEN), constant(REF_REJECTED));
            gc.backward(out.loss());
            return new Graded(out.loss().getDouble(), pc.getGradient().toDoubleArray(), pr.getGradient().toDoubleArray(), out);
        }
    }

    @Test
    void dpoSigmoidLossGradientAndMetrics() {
        // h = (pc - pr) - (rc - rr) = (1, -0.5); loss = mean(-log sigmoid(beta h)) with beta 0.5
        Graded g = dpo(DpoLoss.sigmoid(0.5));
        assertEquals(0.6500082020294751, g.loss(), 1e-12);
        // d/d pc_i = -beta sigmoid(-beta h_i) / B; d/d pr_i is its negative
        assertEquals(-0.09438516719953635, g.dChosen()[0], 1e-12);
        assertEquals(-0.14054412522144952, g.dChosen()[1], 1e-12);
        assertEquals(0.09438516719953635, g.dRejected()[0], 1e-12);
        assertEquals(0.14054412522144952, g.dRejected()[1], 1e-12);
        // rewards: beta (pc - rc) = (0.25, -0.25), beta (pr - rr) = (-0.25, 0)
        var metrics = g.out().metrics();
        assertEquals(0.0, metrics.get("rewards/chosen"), 1e-12);
        assertEquals(-0.125, metrics.get("rewards/rejected"), 1e-12);
        assertEquals(0.125, metrics.get("rewards/margins"), 1e-12);
        assertEquals(0.5, metrics.get("rewards/accuracies"), 1e-12);
        assertEquals(-4.0, metrics.get("logps/chosen"), 1e-12);
        assertEquals(-4.0, metrics.get("logps/rejected"), 1e-12);
    }

    @Test
    void conservativeDpoSmoothsTheLabels() {
        // -(1 - eps) log sigmoid(beta h) - eps log sigmoid(-beta h), eps 0.1 (the scalars are float32: 0.9 is 0.9 to 1e-8)
        Graded g = dpo(DpoLoss.conservative(0.5, 0.1));
        assertEquals(0.6625082020294751, g.loss(), 1e-7);
        assertEquals(-0.06938516719953636, g.dChosen()[0], 1e-7);
        assertEquals(-0.11554412522144951, g.dChosen()[1], 1e-7);
    }

    @Test
    void ipoRegressesTheMarginOntoOneOverTwoBeta() {
        // (h - 1/(2 beta))^2 with 1/(2 beta) = 1: row 0 sits on the target, row 1 is 1.5 short
        Graded g = dpo(DpoLoss.ipo(0.5));
        assertEquals(1.125, g.loss(), 1e-12);
        assertEquals(0.0, g.dChosen()[0], 1e-12);
        assertEquals(-1.5, g.dChosen()[1], 1e-12);
        assertEquals(1.5, g.dRejected()[1], 1e-12);
    }

    @Test
    void dpoWithBetaToZeroIsLogTwoWithVanishingGradient() {
        for (double beta : new double[] {1e-3, 1e-6}) {
            Graded g = dpo(DpoLoss.sigmoid(beta));
            assertEquals(Math.log(2), g.loss(), 2 * beta, "beta " + beta);
            for (double d : g.dChosen()) {
                // -beta sigmoid(-beta h) / B -> -beta / 4 for B = 2
                assertEquals(-beta / 4, d, beta * beta, "beta " + beta);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> DpoLoss.sigmoid(0));
    }

    /** Per-token rows padded with zeros to 3 columns, and the matching mask. */
    SequenceLogProbs rows(NDArray raw, double[][] values) {
        double[] mask = new double[values.length * 3];
        for (int b = 0; b < values.length; b++) {
            for (int j = 0; j < values[b].length; j++) {
                mask[b * 3 + j] = 1;
            }
        }
        return SequenceLogProbs.of(raw, m.create(mask, new Shape(values.length, 3)));
    }

    static double[] flat(double[][] values) {
        double[] out = new double[values.length * 3];
        for (int b = 0; b < values.length; b++) {
            System.arraycopy(values[b], 0, out, b * 3, values[b].length);
        }
        return out;
    }

    @Test
    void orpoIsNllMinusLambdaLogSigmoidOfTheLogOddsRatio() {
        double[][] chosen = {{-1, -2}, {-0.5, -1.5, -1.0}};
        double[][] rejected = {{-2, -3}, {-1, -2, -3}};
        NDArray rawChosen = leaf(flat(chosen)).reshape(2, 3);
        NDArray rawRejected = constant(flat(rejected)).reshape(2, 3);
        rawChosen.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            LossOutput out = new OrpoLoss(0.25).compute(rows(rawChosen, chosen), rows(rawRejected, rejected));
            gc.backward(out.loss());
            // NLL = 6 / 5 over the chosen tokens; log odds ratios 1.1668, 1.3133 (mean log-probs -1.5/-2.5, -1/-2)
            assertEquals(1.2636551877842455, out.loss().getDouble(), 1e-12);
            assertEquals(1.2, out.metrics().get("nll_loss"), 1e-6);
            assertEquals((1.1668319751834157 + 1.3132616875182228) / 2, out.metrics().get("log_odds_chosen"), 1e-6);
            assertEquals(1.0, out.metrics().get("rewards/accuracies"));
            double[] grad = rawChosen.getGradient().toDoubleArray();
            // -1/N - lambda/B sigmoid(-lo_i) / (1 - P_i) / n_i for every token of row i; padding gets none
            assertEquals(-0.21910134143192253, grad[0], 1e-12);
            assertEquals(-0.21910134143192253, grad[1], 1e-12);
            assertEquals(0.0, grad[2], 0.0);
            assertEquals(-0.21397027530699303, grad[3], 1e-12);
            assertEquals(-0.21397027530699303, grad[5], 1e-12);
        }
    }

    @Test
    void ktoUsesTheClampedKlEstimateAsReferencePoint() {
        double[] policy = {-3, -5, -4, -6};
        double[] reference = {-3.5, -4.5, -4, -5};
        boolean[] desirable = {true, false, true, false};
        Function<double[], Graded> run = klPolicy -> {
            NDArray p = leaf(policy);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                LossOutput out = KtoLoss.of(0.5).compute(p, constant(reference), desirable, constant(klPolicy),
                        constant(-4.3, -5.1));
                gc.backward(out.loss());
                return new Graded(out.loss().getDouble(), p.getGradient().toDoubleArray(), null, out);
            }
        };
        // z0 = mean(-4 + 4.3, -5 + 5.1) = 0.2
        Graded g = run.apply(new double[] {-4, -5});
        assertEquals(0.2, g.out().metrics().get("kl"), 1e-6);
        assertEquals(0.43881886424801625, g.loss(), 1e-6);
        double[] expected = {-0.031074875834692872, 0.03031217437781251, -0.031172005024111497, 0.028598030057082165};
        for (int i = 0; i < 4; i++) {
            assertEquals(expected[i], g.dChosen()[i], 1e-7, "completion " + i);
        }
        // rewards: beta (p - r) = (0.25, -0.25, 0, -0.5): desirable mean 0.125, undesirable mean -0.375
        assertEquals(0.125, g.out().metrics().get("rewards/chosen"), 1e-12);
        assertEquals(-0.375, g.out().metrics().get("rewards/rejected"), 1e-12);
        assertEquals(0.5, g.out().metrics().get("rewards/margins"), 1e-12);
        // a negative KL estimate is clamped to 0
        Graded clamped = run.apply(new double[] {-4.8, -5.4});
        assertEquals(0.0, clamped.out().metrics().get("kl"));
        assertEquals(0.4382969167566373, clamped.loss(), 1e-6);
        assertTrue(clamped.loss() != g.loss());
    }

    /** d loss / d (every chosen token) and d loss / d (every rejected token) of a reference-free loss, flattened (2, 3). */
    record TokenGraded(double loss, double[] dChosen, double[] dRejected, LossOutput out) {}

    TokenGraded referenceFree(java.util.function.BiFunction<SequenceLogProbs, SequenceLogProbs, LossOutput> loss,
            double[][] chosen, double[][] rejected) {
        NDArray rawChosen = leaf(flat(chosen)).reshape(2, 3);
        NDArray rawRejected = leaf(flat(rejected)).reshape(2, 3);
        rawChosen.setRequiresGradient(true);
        rawRejected.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            LossOutput out = loss.apply(rows(rawChosen, chosen), rows(rawRejected, rejected));
            gc.backward(out.loss());
            return new TokenGraded(out.loss().getDouble(), rawChosen.getGradient().toDoubleArray(),
                    rawRejected.getGradient().toDoubleArray(), out);
        }
    }

    @Test
    void simpoIsLogSigmoidOfBetaTimesTheMeanLogProbGapMinusGamma() {
        // mean log-probs: chosen (-1.5, -1.0), rejected (-2.5, -1.0); z = beta (gap) - gamma = (1.5, -0.5)
        double[][] chosen = {{-1, -2}, {-0.5, -1.5, -1.0}};
        double[][] rejected = {{-2, -3}, {-1, -1, -1}};
        SimpoLoss simpo = new SimpoLoss(2.0, 0.5);
        TokenGraded g = referenceFree(simpo::compute, chosen, rejected);
        // mean(softplus(-z)) = (softplus(-1.5) + softplus(0.5)) / 2
        assertEquals(0.5877451310814296, g.loss(), 1e-6);
        // d/d token of chosen row i = -beta sigmoid(-z_i) / (B n_i); rejected the opposite sign over its m_i tokens
        assertEquals(-0.09121276190317817, g.dChosen()[0], 1e-7);
        assertEquals(-0.09121276190317817, g.dChosen()[1], 1e-7);
        assertEquals(0.0, g.dChosen()[2], 0.0);
        assertEquals(-0.20748644373395153, g.dChosen()[3], 1e-7);
        assertEquals(-0.20748644373395153, g.dChosen()[5], 1e-7);
        assertEquals(0.09121276190317817, g.dRejected()[0], 1e-7);
        assertEquals(0.0, g.dRejected()[2], 0.0);
        assertEquals(0.20748644373395153, g.dRejected()[4], 1e-7);
        // rewards are beta times the mean log-probabilities: (-3, -2) and (-5, -2)
        assertEquals(-2.5, g.out().metrics().get("rewards/chosen"), 1e-6);
        assertEquals(-3.5, g.out().metrics().get("rewards/rejected"), 1e-6);
        assertEquals(1.0, g.out().metrics().get("rewards/margins"), 1e-6);
        assertEquals(0.5, g.out().metrics().get("rewards/accuracies"), 0.0); // row 1 ties
        assertEquals(-1.25, g.out().metrics().get("logps/chosen"), 1e-6);
        // TRL's form beta ((mean_w - mean_l) - gamma / beta) is the same number; gamma shifts the loss up
        assertTrue(new SimpoLoss(2.0, 0).compute(rows(constant(flat(chosen)).reshape(2, 3), chosen),
                rows(constant(flat(rejected)).reshape(2, 3), rejected)).loss().getDouble() < g.loss());
        assertThrows(IllegalArgumentException.class, () -> new SimpoLoss(2.0, -0.1));
        assertEquals(0.5, SimpoLoss.defaults().gamma() / SimpoLoss.defaults().beta(), 0.0);
    }

    @Test
    void cpoIsReferenceFreeDpoOnSummedLogProbsPlusAlphaTimesTheChosenNll() {
        // sums: chosen (-3, -3), rejected (-5, -3); d = (2, 0); NLL = 6 / 5 over the chosen tokens (Xu et al. 2024)
        double[][] chosen = {{-1, -2}, {-0.5, -1.5, -1.0}};
        double[][] rejected = {{-2, -3}, {-1, -1, -1}};
        TokenGraded g = referenceFree(new CpoLoss(0.5, 1.0)::compute, chosen, rejected);
        // (softplus(-1) + softplus(0)) / 2 + 1.2
        assertEquals(1.7032044340390842, g.loss(), 1e-6);
        assertEquals(1.2, g.out().metrics().get("nll_loss"), 1e-6);
        // chosen token of row i: -beta sigmoid(-beta d_i) / B - alpha / N; rejected: +beta sigmoid(-beta d_i) / B
        assertEquals(-0.26723535534249876, g.dChosen()[0], 1e-7);
        assertEquals(-0.325, g.dChosen()[4], 1e-7);
        assertEquals(0.0, g.dChosen()[2], 0.0);
        assertEquals(0.06723535534249878, g.dRejected()[1], 1e-7);
        assertEquals(0.125, g.dRejected()[5], 1e-7);
        assertEquals(0.5 * -3, g.out().metrics().get("rewards/chosen"), 1e-6);
        assertEquals(0.5 * -4, g.out().metrics().get("rewards/rejected"), 1e-6);
        // alpha 0 leaves the pure preference term
        TokenGraded pure = referenceFree(new CpoLoss(0.5, 0)::compute, chosen, rejected);
        assertEquals(0.5032044340390841, pure.loss(), 1e-6);
        assertEquals(0.125, pure.dRejected()[5], 1e-7);
    }

    @Test
    void rlooSequenceLossIsTheClippedSurrogateOfWholeCompletionRatios() {
        // ratios exp(logp - old) = (e^0.1, e^0.5, e^0.5); eps 0.2 clips rows 1 and 2 to 1.2
        double[] logp = {-3, -4, -5};
        double[] old = {-3.1, -4.5, -5.5};
        double[] advantages = {1.5, 2, -1};
        NDArray lp = leaf(logp);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            LossOutput out = RlooTrainer.sequenceLoss(lp, constant(old), constant(advantages), 0.2);
            gc.backward(out.loss());
            // max(-A r, -A clip(r)): row 0 -1.5 e^0.1 (inside), row 1 -2 * 1.2 (clipped), row 2 +e^0.5 (the larger)
            assertEquals((-1.5 * Math.exp(0.1) - 2.4 + Math.exp(0.5)) / 3, out.loss().getDouble(), 1e-6);
            assertEquals(2 / 3.0, out.metrics().get("clipfrac"), 1e-12);
            double[] grad = lp.getGradient().toDoubleArray();
            // d/d logp_i = -A_i r_i / B where the unclipped term is the max, 0 where the clipped constant is
            assertEquals(-1.5 * Math.exp(0.1) / 3, grad[0], 1e-6);
            assertEquals(0.0, grad[1], 0.0);
            assertEquals(Math.exp(0.5) / 3, grad[2], 1e-6);
        }
    }
}
