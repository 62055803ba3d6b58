package dev.tunelab.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The vector exponential against Math.exp over the range softmax and SiLU use, and at its clamps. */
class VectorExpTest {
    static float[] exp(float[] x) {
        float[] out = new float[x.length];
        int lanes = PackedMatrix.LANES;
        for (int i = 0; i < x.length; i += lanes) {
            float[] chunk = java.util.Arrays.copyOfRange(x, i, i + lanes);
            VectorExp.exp(FloatVector.fromArray(PackedMatrix.SPECIES, chunk, 0)).intoArray(chunk, 0);
            System.arraycopy(chunk, 0, out, i, Math.min(lanes, x.length - i));
        }
        return out;
    }

    @Test
    void withinThreeTenthsOfAMillionthOfMathExp() {
        int n = 1_750_000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -87f + i * 1e-4f; // up to 88
        }
        float[] y = exp(x);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp(x[i]);
            worst = Math.max(worst, Math.abs(y[i] - e) / e);
        }
        assertTrue(worst < 3e-7, "worst relative error " + worst);
    }

    @Test
    void exactAtZeroAndClampedOutsideTheFloatRange() {
        float[] y = exp(new float[] {0f, -0f, -1000f, 1000f, Float.NEGATIVE_INFINITY});
        assertEquals(1f, y[0]);
        assertEquals(1f, y[1]);
        assertTrue(y[2] > 0 && y[2] < 2e-38, "e^-1000 -> " + y[2]);
        assertTrue(y[3] > 1e38 && Float.isFinite(y[3]), "e^1000 -> " + y[3]);
        assertTrue(y[4] < 2e-38, "e^-inf -> " + y[4]);
    }
}
