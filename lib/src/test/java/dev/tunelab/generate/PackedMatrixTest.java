package dev.tunelab.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * y = x W^T + b through the packed panels, against a float64 sum, for a width that leaves the
 * last panel part-filled; and the property the decoder relies on: a row's outputs are the same
 * bits in a batch of any size and on any number of threads.
 */
class PackedMatrixTest {
    static final int OUT = 2 * PackedMatrix.PANEL + 5;
    static final int IN = 1001; // with 9 rows, above the work at which the product is split over threads

    static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void matchesADoubleSumAndGivesTheSameBitsForAnyBatchAndThreads() {
        Random r = new Random(7);
        float[] w = random(r, OUT * IN);
        float[] b = random(r, OUT);
        try (NDManager m = NDManager.newBaseManager()) {
            PackedMatrix matrix = DecoderWeights.packed(m.create(w, new Shape(OUT, IN)), m.create(b));
            int rows = 9;
            float[] x = random(r, rows * IN);
            float[] y = new float[rows * OUT];
            matrix.multiply(x, rows, y, new Workers(1));
            for (int row = 0; row < rows; row++) {
                for (int o = 0; o < OUT; o++) {
                    double sum = b[o];
                    double magnitude = Math.abs(b[o]);
                    for (int i = 0; i < IN; i++) {
                        sum += (double) x[row * IN + i] * w[o * IN + i];
                        magnitude += Math.abs((double) x[row * IN + i] * w[o * IN + i]);
                    }
                    double err = Math.abs(y[row * OUT + o] - sum);
                    assertTrue(err <= 1e-6 * magnitude, "row " + row + " output " + o + ": " + y[row * OUT + o] + " vs " + sum);
                }
            }
            float[] threaded = new float[rows * OUT];
            matrix.multiply(x, rows, threaded, new Workers(3));
            assertArrayEquals(y, threaded, 0f);
            for (int row = 0; row < rows; row++) { // alone: the one-row kernel instead of the four-row one
                float[] alone = new float[OUT];
                matrix.multiply(Arrays.copyOfRange(x, row * IN, (row + 1) * IN), 1, alone, new Workers(1));
                assertArrayEquals(Arrays.copyOfRange(y, row * OUT, (row + 1) * OUT), alone, 0f, "row " + row);
            }
        }
    }
}
