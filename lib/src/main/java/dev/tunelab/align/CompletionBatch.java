package dev.tunelab.align;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tunelab.train.Batch;
import java.util.Arrays;
import java.util.List;

/**
 * Prompts and their completions laid out for one scoring pass: each row is the prompt followed by
 * its completion, right-padded to the longest row. Completion token j of row b sits at position
 * {@code p_b + j} and is predicted by the logits (or scored by the value head) at position
 * {@code p_b + j - 1}, which is what {@link #predictingPositions} lists. Per-completion-token
 * results are therefore (B, C) with C the longest completion, aligned with the completion tokens
 * and masked by {@link #completionMask}.
 */
public final class CompletionBatch {
    private final List<long[]> prompts;
    private final List<long[]> completions;
    private final int length;
    private final int completionLength;
    private Batch padded;

    private CompletionBatch(List<long[]> prompts, List<long[]> completions) {
        if (prompts.size() != completions.size()) {
            throw new IllegalArgumentException("parallel lists needed: " + prompts.size() + " prompts and "
                    + completions.size() + " completions");
        }
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("empty batch: no prompts");
        }
        int longest = 0;
        int longestCompletion = 0;
        for (int b = 0; b < prompts.size(); b++) {
            if (prompts.get(b) == null || prompts.get(b).length == 0) {
                throw new IllegalArgumentException("prompt " + b + " has no tokens; the first completion token needs a "
                        + "position that predicts it (start prompts with BOS)");
            }
            if (completions.get(b) == null) {
                throw new IllegalArgumentException("completion " + b + " is null");
            }
            longest = Math.max(longest, prompts.get(b).length + completions.get(b).length);
            longestCompletion = Math.max(longestCompletion, completions.get(b).length);
        }
        this.prompts = List.copyOf(prompts);
        this.completions = List.copyOf(completions);
        this.length = longest;
        this.completionLength = Math.max(longestCompletion, 1); // an all-empty batch still has one (masked) column
    }

    /** Prompt token ids and completion token ids, row by row (a completion may be empty). */
    public static CompletionBatch of(List<long[]> prompts, List<long[]> completions) {
        return new CompletionBatch(prompts, completions);
    }

    public int size() {
        return prompts.size();
    }

    /** T: the longest prompt + completion. */
    public int length() {
        return length;
    }

    /** C: the longest completion (at least 1). */
    public int completionLength() {
        return completionLength;
    }

    public List<long[]> prompts() {
        return prompts;
    }

    public List<long[]> completions() {
        return completions;
    }

    /** (B, T) int64 token ids; padding positions hold 0 (masked out). */
    public NDArray inputIds(NDManager m) {
        return padded().inputIds(m);
    }

    /** (B, T) int64: 1 for prompt and completion tokens, 0 for padding. */
    public NDArray attentionMask(NDManager m) {
        return padded().attentionMask(m);
    }

    /** Each row's prompt then completion, right-padded as every batch is ({@link Batch#rightPadded}). */
    private Batch padded() {
        if (padded == null) {
            List<long[]> rows = new java.util.ArrayList<>();
            for (int b = 0; b < size(); b++) {
                long[] p = prompts.get(b);
                long[] c = completions.get(b);
                long[] row = Arrays.copyOf(p, p.length + c.length);
                System.arraycopy(c, 0, row, p.length, c.length);
                rows.add(row);
            }
            padded = Batch.rightPadded(rows, null, 0);
        }
        return padded;
    }

    /** (B, C) in {@code dtype}: 1 where row b has a completion token j, 0 past its end. */
    public NDArray completionMask(NDManager m, DataType dtype) {
        float[] flat = new float[size() * completionLength];
        for (int b = 0; b < size(); b++) {
            Arrays.fill(flat, b * completionLength, b * completionLength + completions.get(b).length, 1f);
        }
        return m.create(flat, new Shape(size(), completionLength)).toType(dtype, false);
    }

    /**
     * (B, C) int64: the position whose output predicts completion token j of row b, {@code p_b + j - 1};
     * past a completion's end it repeats position 0 (those entries are masked).
     */
    public NDArray predictingPositions(NDManager m) {
        long[] flat = new long[size() * completionLength];
        for (int b = 0; b < size(); b++) {
            int p = prompts.get(b).length;
            for (int j = 0; j < completions.get(b).length; j++) {
                flat[b * completionLength + j] = p + j - 1;
            }
        }
        return m.create(flat, new Shape(size(), completionLength));
    }

    /** (B, 1) int64: each row's last real token (where a reward model reads its score). */
    public NDArray lastTokenPositions(NDManager m) {
        long[] flat = new long[size()];
        for (int b = 0; b < size(); b++) {
            flat[b] = prompts.get(b).length + completions.get(b).length - 1L;
        }
        return m.create(flat, new Shape(size(), 1));
    }
}
