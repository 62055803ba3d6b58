package dev.tunelab.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

/**
 * The cos/sin tables grow on demand: every row is float(cos(p * inv_freq)) with the head's two
 * halves equal (rotate-half layout), whatever the table's size when a position is looked up.
 */
class RotaryTest {
    private static final LlamaConfig CONFIG = LlamaConfig.builder().hiddenSize(32).heads(2).kvHeads(2).ropeTheta(10000)
            .maxPositions(2000).build(); // head_dim 16

    @Test
    void rowsAreTheClosedFormBeforeAndAfterTheTablesGrow() {
        double[] inv = Rotary.inverseFrequencies(CONFIG);
        try (NDManager m = NDManager.newBaseManager(); Rotary rotary = new Rotary(m, CONFIG, DataType.FLOAT32)) {
            // positions 3 and 200 while the tables hold 256 rows; then 1999 (the last) makes them grow; then 3 again
            long[][] batches = {{3, 200}, {1999, 700}, {3, 255}};
            for (long[] positions : batches) {
                NDArray[] cs = rotary.at(m.create(positions).reshape(1, positions.length));
                assertEquals(new ai.djl.ndarray.types.Shape(1, 1, positions.length, 16), cs[0].getShape());
                float[] cos = cs[0].toFloatArray();
                float[] sin = cs[1].toFloatArray();
                for (int t = 0; t < positions.length; t++) {
                    for (int i = 0; i < 16; i++) {
                        double angle = positions[t] * inv[i % 8];
                        assertEquals((float) Math.cos(angle), cos[t * 16 + i], 0f, "cos at " + positions[t] + ", " + i);
                        assertEquals((float) Math.sin(angle), sin[t * 16 + i], 0f, "sin at " + positions[t] + ", " + i);
                    }
                }
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> rotary.at(m.create(new long[] {5, 2000}).reshape(1, 2)));
            assertTrue(e.getMessage().contains("2000") && e.getMessage().contains("max_position_embeddings"), e.getMessage());
        }
    }
}
