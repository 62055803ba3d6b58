package dev.tunelab.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class GaeTest {
    // Two completions: 4 tokens and 2 tokens (then right padding with junk that must be ignored).
    static final double[][] REWARDS = {{0.1, -0.2, 0.0, 1.5}, {0.3, 2.0, 9.0, 9.0}};
    static final double[][] VALUES = {{0.5, 0.4, -0.3, 0.8}, {-0.1, 0.6, 7.0, 7.0}};
    static final double[][] MASK = {{1, 1, 1, 1}, {1, 1, 0, 0}};

    /** A_t = sum over the rest of the completion of (gamma lambda)^l delta_{t+l}, with V = 0 after the last token. */
    static double[][] direct(double gamma, double lambda) {
        double[][] a = new double[REWARDS.length][];
        for (int b = 0; b < REWARDS.length; b++) {
            int length = 0;
            while (length < MASK[b].length && MASK[b][length] == 1) {
                length++;
            }
            a[b] = new double[REWARDS[b].length];
            for (int t = 0; t < length; t++) {
                for (int l = 0; t + l < length; l++) {
                    int k = t + l;
                    double next = k + 1 < length ? VALUES[b][k + 1] : 0;
                    double delta = REWARDS[b][k] + gamma * next - VALUES[b][k];
                    a[b][t] += Math.pow(gamma * lambda, l) * delta;
                }
            }
        }
        return a;
    }

    @Test
    void advantagesEqualTheDirectSumOfDiscountedTdErrors() {
        for (double[] gl : new double[][] {{1, 0.95}, {0.9, 0.8}, {0.99, 0}, {1, 1}}) {
            Gae.Result r = Gae.compute(REWARDS, VALUES, MASK, gl[0], gl[1]);
            double[][] expected = direct(gl[0], gl[1]);
            for (int b = 0; b < 2; b++) {
                assertArrayEquals(expected[b], r.advantages()[b], 1e-12,
                        "gamma " + gl[0] + ", lambda " + gl[1] + ", row " + b);
                for (int t = 0; t < 4; t++) {
                    assertEquals(MASK[b][t] * (expected[b][t] + VALUES[b][t]), r.returns()[b][t], 1e-12);
                }
            }
        }
    }

    @Test
    void gammaAndLambdaOneGiveRewardToGoMinusValue() {
        // Hand-computed: row 0's rewards-to-go are 1.4, 1.3, 1.5, 1.5.
        Gae.Result r = Gae.compute(REWARDS, VALUES, MASK, 1, 1);
        assertArrayEquals(new double[] {1.4 - 0.5, 1.3 - 0.4, 1.5 + 0.3, 1.5 - 0.8}, r.advantages()[0], 1e-12);
        assertArrayEquals(new double[] {1.4, 1.3, 1.5, 1.5}, r.returns()[0], 1e-12);
        assertArrayEquals(new double[] {2.3 + 0.1, 2.0 - 0.6, 0, 0}, r.advantages()[1], 1e-12);
    }

    @Test
    void whiteningUsesTheMaskedMeanAndUnbiasedVariance() {
        double[][] x = {{1, 2, 3}, {4, 100, -50}};
        double[][] mask = {{1, 1, 1}, {1, 0, 0}};
        double mean = 2.5;
        double std = Math.sqrt((2.25 + 0.25 + 0.25 + 2.25) / 3 + 1e-8);
        double[][] w = Gae.whiten(x, mask, true);
        assertArrayEquals(new double[] {-1.5 / std, -0.5 / std, 0.5 / std}, w[0], 1e-12);
        assertArrayEquals(new double[] {1.5 / std, 0, 0}, w[1], 1e-12);
        double[][] scaled = Gae.whiten(x, mask, false);
        assertEquals(mean + 1.5 / std, scaled[1][0], 1e-12);
        assertEquals(mean, Gae.maskedMean(scaled, mask), 1e-12);
    }

    @Test
    void mismatchedShapesAndEmptyMasksAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Gae.compute(REWARDS, new double[][] {{1}, {2}}, MASK, 1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> Gae.whiten(new double[][] {{1, 2}}, new double[][] {{1, 0}}, true));
    }
}
