package dev.tunelab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * A batch of equal-length rows: token ids, labels (-100 where no loss is taken) and the
 * attention mask (1 real token, 0 padding).
 */
public record Batch(long[][] inputIds, long[][] labels, long[][] attentionMask) {
    public int size() {
        return inputIds.length;
    }

    public int length() {
        return inputIds[0].length;
    }

    /** Tokens that carry a loss (labels not -100, excluding the first position, which predicts nothing). */
    public long lossTokens() {
        long n = 0;
        for (long[] row : labels) {
            for (int t = 1; t < row.length; t++) {
                n += row[t] != Losses.IGNORE_INDEX ? 1 : 0;
            }
        }
        return n;
    }

    public NDArray inputIds(NDManager m) {
        return matrix(m, inputIds);
    }

    public NDArray labels(NDManager m) {
        return matrix(m, labels);
    }

    public NDArray attentionMask(NDManager m) {
        return matrix(m, attentionMask);
    }

    static NDArray matrix(NDManager m, long[][] rows) {
        int cols = rows[0].length;
        long[] flat = new long[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * cols, cols);
        }
        return m.create(flat, new Shape(rows.length, cols));
    }
}
