package dev.tunelab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * A batch of equal-length rows: token ids, labels (-100 where no loss is taken) and the
 * attention mask (1 real token, 0 padding). A packed batch ({@link PackedBatches}) also says which
 * document each token belongs to; its rows then hold several documents that do not see each other.
 *
 * @param documentIds (B, T) document of each token (0, 1, ... per row, -1 padding), or null when
 *     every row is one sequence
 */
public record Batch(long[][] inputIds, long[][] labels, long[][] attentionMask, long[][] documentIds) {
    /** An ordinary batch: one sequence per row. */
    public Batch(long[][] inputIds, long[][] labels, long[][] attentionMask) {
        this(inputIds, labels, attentionMask, null);
    }

    public boolean packed() {
        return documentIds != null;
    }

    /** The model's logits (B, T, vocab) for this batch: padded rows, or packed rows with per-document attention. */
    public NDArray logits(dev.tunelab.model.LlamaModel model, NDManager m) {
        return packed() ? model.forwardPacked(inputIds(m), documentIds) : model.forward(inputIds(m), attentionMask(m), null, null);
    }

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

    /**
     * Rows of different lengths right-padded to the longest: ids with {@code padId}, labels with
     * {@link Losses#IGNORE_INDEX}, the attention mask 0 past each row's end. The one padding
     * every batch of tunelab goes through (training, held-out loss, perplexity, scoring passes).
     *
     * @param labels one per row and as long as it, or null to label every real token with itself
     */
    public static Batch rightPadded(java.util.List<long[]> ids, java.util.List<long[]> labels, long padId) {
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("empty batch: no rows");
        }
        int length = ids.stream().mapToInt(r -> r.length).max().orElse(0);
        long[][] paddedIds = new long[ids.size()][length];
        long[][] paddedLabels = new long[ids.size()][length];
        long[][] mask = new long[ids.size()][length];
        for (int b = 0; b < ids.size(); b++) {
            long[] row = ids.get(b);
            long[] rowLabels = labels == null ? row : labels.get(b);
            if (rowLabels.length != row.length) {
                throw new IllegalArgumentException("row " + b + " has " + row.length + " ids but " + rowLabels.length + " labels");
            }
            java.util.Arrays.fill(paddedIds[b], padId);
            java.util.Arrays.fill(paddedLabels[b], Losses.IGNORE_INDEX);
            System.arraycopy(row, 0, paddedIds[b], 0, row.length);
            System.arraycopy(rowLabels, 0, paddedLabels[b], 0, row.length);
            java.util.Arrays.fill(mask[b], 0, row.length, 1L);
        }
        return new Batch(paddedIds, paddedLabels, mask);
    }

    /** Fails, naming the first, when a sequence to score is null or empty. */
    public static void requireTokens(java.util.List<long[]> sequences) {
        for (int i = 0; i < sequences.size(); i++) {
            if (sequences.get(i) == null || sequences.get(i).length == 0) {
                throw new IllegalArgumentException("sequence " + i + " has no tokens");
            }
        }
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
