package dev.tunelab.generate;

/**
 * What a generation step asks of a backend: the logits of the next token of every row, given the
 * sequences so far. {@link Generator} owns the sequences, the sampling and the stopping; a backend
 * only computes (and caches what it can between steps).
 */
interface NextTokenLogits extends AutoCloseable {
    /**
     * @param ids (batch, total) token ids: the prompts left-padded to a common length, then the new tokens
     * @param mask (batch, total) 1 for real tokens, 0 for padding
     * @param length columns filled so far; the logits are for column {@code length}
     * @param finished rows that stopped (their logits are not read and may be null)
     * @return (batch, vocab) logits, valid until the next call
     */
    float[][] next(long[][] ids, long[][] mask, int length, boolean[] finished);

    @Override
    void close();
}
