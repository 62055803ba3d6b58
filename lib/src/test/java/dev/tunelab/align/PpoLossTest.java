package dev.tunelab.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class PpoLossTest {
    static final double EPS = 0.2;
    // The clip bounds are float32 scalars (Autograd.scalar), so 1 + eps is 1.2000000477 even in float64 math.
    static final double TOL = 1e-6;

    // Crafted cases (ratio, advantage): inside and outside the clip range, both signs; the last is padding.
    static final double[] RATIOS = {1.5, 0.5, 1.5, 0.5, 1.1, 7.0};
    static final double[] ADVANTAGES = {1, 1, -1, -1, 2, 5};
    static final double[] MASK = {1, 1, 1, 1, 1, 0};
    // -min(r A, clip(r) A) by hand: 1.5 -> 1.2 with A = 1 is clipped; 0.5 with A = -1 is clipped to 0.8.
    static final double[] EXPECTED = {-1.2, -0.5, 1.5, 0.8, -2.2, -6.0};
    // d/dlogp of the per-token loss: -A r where the unclipped term is taken, 0 where the clip holds.
    static final double[] EXPECTED_GRAD = {0, -0.5, 1.5, 0, -2.2, 0};

    static NDArray row(NDManager m, double[] v) {
        return m.create(v, new Shape(1, v.length)).toType(DataType.FLOAT64, false);
    }

    @Test
    void clippedSurrogateMatchesItsDefinitionAndGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            double[] logRatios = java.util.Arrays.stream(RATIOS).map(Math::log).toArray();
            NDArray logp = row(m, logRatios);
            logp.setRequiresGradient(true);
            NDArray old = m.zeros(new Shape(1, RATIOS.length), DataType.FLOAT64);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray perToken = PpoLoss.clippedSurrogate(logp, old, row(m, ADVANTAGES), EPS);
                assertArrayEquals(EXPECTED, perToken.toDoubleArray(), TOL);
                gc.backward(perToken.sum());
            }
            assertArrayEquals(EXPECTED_GRAD, logp.getGradient().toDoubleArray(), TOL);
        }
    }

    @Test
    void valueLossIsClippedAroundTheRolloutValue() {
        try (NDManager m = NDManager.newBaseManager()) {
            // old value 0, eps 0.2. (new value, return): moved too far towards the return -> the clipped loss
            // (0.2 - 1)^2 is larger and counts, with no gradient; a small move stays unclipped; a move away from
            // the return keeps the larger unclipped loss (-1 - 1)^2 and its gradient V - R.
            NDArray values = row(m, new double[] {1.0, 0.1, -1.0, 3.0});
            values.setRequiresGradient(true);
            NDArray old = m.zeros(new Shape(1, 4), DataType.FLOAT64);
            NDArray returns = row(m, new double[] {1, 1, 1, 1});
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray perToken = PpoLoss.clippedValueLoss(values, old, returns, EPS);
                assertArrayEquals(new double[] {0.5 * 0.64, 0.5 * 0.81, 0.5 * 4, 0.5 * 4}, perToken.toDoubleArray(), TOL);
                gc.backward(perToken.sum());
            }
            assertArrayEquals(new double[] {0, 0.1 - 1, -1 - 1, 3 - 1}, values.getGradient().toDoubleArray(), TOL);
        }
    }

    @Test
    void combinedTermsAverageOverTheMaskAndCountClipping() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logp = row(m, java.util.Arrays.stream(RATIOS).map(Math::log).toArray());
            NDArray old = m.zeros(new Shape(1, RATIOS.length), DataType.FLOAT64);
            NDArray values = row(m, new double[] {1.0, 0.1, -1.0, 0, 0, 50});
            NDArray oldValues = m.zeros(new Shape(1, RATIOS.length), DataType.FLOAT64);
            NDArray returns = row(m, new double[] {1, 1, 1, 0, 0, 0});
            PpoLoss.Terms terms = PpoLoss.compute(logp, old, row(m, ADVANTAGES), values, oldValues, returns,
                    row(m, MASK), EPS, EPS, 0.1);
            double policy = (-1.2 - 0.5 + 1.5 + 0.8 - 2.2) / 5;
            double value = 0.5 * (0.64 + 0.81 + 4) / 5;
            assertEquals(policy, terms.policyLoss(), TOL);
            assertEquals(value, terms.valueLoss(), TOL);
            assertEquals(policy + 0.1 * value, terms.loss().getDouble(), TOL);
            assertEquals(2.0 / 5, terms.clipFraction(), 1e-12);
            assertEquals(1.0 / 5, terms.valueClipFraction(), 1e-12);
            double approxKl = 0;
            for (int i = 0; i < 5; i++) {
                approxKl += 0.5 * Math.log(RATIOS[i]) * Math.log(RATIOS[i]) / 5;
            }
            assertEquals(approxKl, terms.approxKl(), 1e-12);
        }
    }

    @Test
    void entropyOfUniformAndOfAPeakedDistribution() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new double[] {0, 0, 0, 0, Math.log(2), 0, 0, 0}, new Shape(1, 2, 4));
            // second row: probabilities 2/5, 1/5, 1/5, 1/5
            double peaked = -(0.4 * Math.log(0.4) + 3 * 0.2 * Math.log(0.2));
            assertArrayEquals(new double[] {Math.log(4), peaked}, PpoLoss.entropy(logits).toDoubleArray(), 1e-12);
        }
    }
}
