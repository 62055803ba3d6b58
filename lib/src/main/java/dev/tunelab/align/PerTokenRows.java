package dev.tunelab.align;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tunelab.train.TrainingLoop;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Per-token tables of a rollout batch (log-probabilities, values, advantages) kept as Java rows
 * between the scoring pass and the minibatches, and moved back into tensors for a subset of rows.
 */
final class PerTokenRows {
    private PerTokenRows() {}

    /** A (B, C) array as Java rows. */
    static double[][] of(NDArray a) {
        int rows = (int) a.getShape().get(0);
        int cols = (int) a.getShape().get(1);
        float[] flat = a.toType(DataType.FLOAT32, false).toFloatArray();
        double[][] out = new double[rows][cols];
        for (int b = 0; b < rows; b++) {
            for (int t = 0; t < cols; t++) {
                out[b][t] = flat[b * cols + t];
            }
        }
        return out;
    }

    /** The given rows of a table, cut or zero-padded to {@code cols} columns, as a (rows, cols) tensor. */
    static NDArray select(NDManager m, double[][] table, int[] rows, int cols, DataType dtype) {
        float[] flat = new float[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            double[] row = table[rows[i]];
            for (int t = 0; t < Math.min(cols, row.length); t++) {
                flat[i * cols + t] = (float) row[t];
            }
        }
        return m.create(flat, new Shape(rows.length, cols)).toType(dtype, false);
    }

    /** The sub-batch of the given rows. */
    static CompletionBatch pick(CompletionBatch batch, int[] rows) {
        return CompletionBatch.of(pick(batch.prompts(), rows), pick(batch.completions(), rows));
    }

    private static <T> List<T> pick(List<T> all, int[] rows) {
        return Arrays.stream(rows).mapToObj(all::get).toList();
    }

    /** Row indices 0..n-1 in shuffled order, cut into minibatches of {@code size} (the last may be shorter). */
    static int[][] minibatches(int n, int size, SplittableRandom random) {
        int[] order = Rollouts.shuffled(n, random);
        int[][] out = new int[(n + size - 1) / size][];
        for (int i = 0; i < out.length; i++) {
            out[i] = Arrays.copyOfRange(order, i * size, Math.min(n, (i + 1) * size));
        }
        return out;
    }

    /** The loss of one minibatch: its rows of the generation batch and the sub-batch of those rows. */
    interface MinibatchLoss {
        dev.tunelab.train.LossOutput loss(CompletionBatch minibatch, int[] rows, NDManager scope);
    }

    /**
     * {@code iterations} passes over {@code batch} in shuffled minibatches of {@code size} rows, one
     * optimizer update each (GRPO's and RLOO's inner loop); returns each loss term averaged over the updates.
     */
    static Map<String, Double> updateInMinibatches(TrainingLoop.Context s, CompletionBatch batch, int iterations, int size,
            long seed, int step, MinibatchLoss loss) {
        Map<String, Double> sums = new LinkedHashMap<>();
        int updates = 0;
        for (int iteration = 0; iteration < iterations; iteration++) {
            var random = new SplittableRandom(seed * 7919L + step * 131L + iteration);
            for (int[] rows : minibatches(batch.size(), size, random)) {
                CompletionBatch mb = pick(batch, rows);
                s.update((micro, scope) -> loss.loss(mb, rows, scope)).forEach((k, v) -> sums.merge(k, v, Double::sum));
                updates++;
            }
        }
        int n = updates;
        sums.replaceAll((k, v) -> v / n);
        return sums;
    }
}
