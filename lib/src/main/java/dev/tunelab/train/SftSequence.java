package dev.tunelab.train;

/**
 * One tokenized SFT example: the token ids and, position by position, the label to learn
 * ({@link Losses#IGNORE_INDEX} where no loss is taken: prompt tokens, unless training on the
 * prompt too). {@code truncated} says tokens were cut to fit the maximum length;
 * {@code responseTruncated} that some of them were trained tokens (the answer, or its EOS), so
 * the model sees an answer that does not end.
 */
public record SftSequence(long[] ids, long[] labels, boolean truncated, boolean responseTruncated) {

    public SftSequence {
        if (ids.length != labels.length) {
            throw new IllegalArgumentException("ids and labels differ in length: " + ids.length + " vs " + labels.length);
        }
    }

    public int length() {
        return ids.length;
    }

    /**
     * Positions whose label counts in the loss. Position 0 never does: the causal-LM loss
     * predicts token t from the tokens before it.
     */
    public int trainedTokens() {
        int n = 0;
        for (int t = 1; t < labels.length; t++) {
            n += labels[t] != Losses.IGNORE_INDEX ? 1 : 0;
        }
        return n;
    }
}
