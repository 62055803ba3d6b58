package dev.tunelab.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class KlControllerTest {
    @Test
    void adaptiveControllerMovesBetaByTheClippedProportionalError() {
        KlController c = KlController.adaptive(0.2, 6, 10_000);
        c.update(9, 256); // error 9/6 - 1 = 0.5, clipped to 0.2
        assertEquals(0.2 * (1 + 0.2 * 256 / 10_000.0), c.value(), 1e-15);
        double before = c.value();
        c.update(5.4, 100); // error -0.1, inside the clip
        assertEquals(before * (1 - 0.1 * 100 / 10_000.0), c.value(), 1e-15);
        before = c.value();
        c.update(0, 64); // error -1, clipped to -0.2
        assertEquals(before * (1 - 0.2 * 64 / 10_000.0), c.value(), 1e-15);
    }

    @Test
    void fixedControllerNeverMoves() {
        KlController c = KlController.fixed(0.05);
        c.update(100, 1000);
        assertEquals(0.05, c.value());
    }

    @Test
    void estimatorsByHand() {
        // logp = -1, logp_ref = -2: log r = -1
        assertEquals(1.0, KlEstimator.K1.perToken(-1, -2), 1e-15);
        assertEquals(0.5, KlEstimator.K2.perToken(-1, -2), 1e-15);
        assertEquals(Math.exp(-1) - 1 + 1, KlEstimator.K3.perToken(-1, -2), 1e-15);
        // k3 is never negative, k1 is when the reference is the likelier
        assertEquals(-0.5, KlEstimator.K1.perToken(-2, -1.5), 1e-15);
        assertEquals(Math.exp(0.5) - 1 - 0.5, KlEstimator.K3.perToken(-2, -1.5), 1e-15);
    }

    @Test
    void tensorEstimatorsAgreeWithTheScalarOnes() {
        double[] logp = {-1, -2, -0.3, -4};
        double[] ref = {-2, -1.5, -0.3, -0.1};
        try (NDManager m = NDManager.newBaseManager()) {
            for (KlEstimator k : KlEstimator.values()) {
                NDArray out = k.perToken(m.create(logp), m.create(ref));
                double[] expected = new double[logp.length];
                for (int i = 0; i < logp.length; i++) {
                    expected[i] = k.perToken(logp[i], ref[i]);
                }
                assertArrayEquals(expected, out.toDoubleArray(), 1e-12, k.name());
            }
        }
    }
}
