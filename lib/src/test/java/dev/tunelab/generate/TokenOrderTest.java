package dev.tunelab.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The sampler's fast ordering of token ids is exactly the stable sort by p descending that defines
 * it (and that it used before), so a seed gives the same tokens as before: on logits with ties,
 * signed zeros, infinities, NaN, and values so close that p = (logit - max) / T rounds them equal.
 */
class TokenOrderTest {
    static double[] p(float[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (logits[i] - max) / temperature;
        }
        return p;
    }

    static void assertSameOrder(float[] logits, double temperature) {
        double[] p = p(logits, temperature);
        assertArrayEquals(TokenOrder.stableSort(p), new TokenOrder().descending(p, logits));
    }

    @Test
    void randomLogitsWithManyTies() {
        Random random = new Random(1);
        for (int trial = 0; trial < 200; trial++) {
            int v = 1 + random.nextInt(3000);
            float[] logits = new float[v];
            for (int i = 0; i < v; i++) {
                // few distinct values: long runs of exact ties
                logits[i] = trial % 2 == 0 ? (float) random.nextGaussian() * 4 : random.nextInt(7) - 3;
            }
            assertSameOrder(logits, trial % 3 == 0 ? 0.7 : 1.3);
        }
    }

    @Test
    void signedZerosInfinitiesAndNan() {
        assertSameOrder(new float[] {0f, -0f, 0f, -0f, -1f, 1f, -0f}, 1);
        assertSameOrder(new float[] {-0f, -0f, -1f, -0f, -2f}, 1); // max is -0: every -0 has p = +0
        assertSameOrder(new float[] {3f, Float.NEGATIVE_INFINITY, 1f, Float.NEGATIVE_INFINITY, 3f}, 0.5);
        assertSameOrder(new float[] {Float.POSITIVE_INFINITY, 2f, Float.POSITIVE_INFINITY, -1f}, 1);
        assertSameOrder(new float[] {1f, Float.NaN, 2f, 0f, Float.NaN}, 1);
    }

    @Test
    void distinctLogitsWhoseProbabilitiesRoundEqual() {
        // 1e-8 and its float neighbours differ by ~1e-15: subtracting max = 30 in double rounds them together
        float tiny = 1e-8f;
        float[] logits = {Math.nextUp(tiny), 30f, tiny, Math.nextDown(tiny), Math.nextUp(Math.nextUp(tiny)), 5f, tiny};
        double[] p = p(logits, 1);
        assertArrayEquals(TokenOrder.stableSort(p), new TokenOrder().descending(p, logits));
        // the collapse really happens, so the fix-up path is what this case tests
        org.junit.jupiter.api.Assertions.assertEquals(p[0], p[3]);
    }
}
