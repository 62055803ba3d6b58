package dev.tunelab.train;

import java.util.Arrays;

/**
 * A token stream cut into consecutive, non-overlapping blocks, {@code batchSize} blocks per
 * batch: every token is scored once, which is what a held-out loss needs (random windows would
 * count some tokens twice and miss others). The last partial block is dropped.
 */
public final class TokenChunks implements BatchSource {
    private final long[] tokens;
    private final int batchSize;
    private final int blockSize;
    private final String fingerprint;

    public TokenChunks(long[] tokens, int batchSize, int blockSize) {
        if (tokens.length < blockSize) {
            throw new IllegalArgumentException("need at least blockSize=" + blockSize + " tokens, got " + tokens.length);
        }
        this.tokens = tokens;
        this.batchSize = batchSize;
        this.blockSize = blockSize;
        this.fingerprint = TokenWindows.fingerprint(tokens, "chunks:" + batchSize + "x" + blockSize);
    }

    /** Number of batches that cover the stream (the last one may hold fewer blocks). */
    public int batches() {
        int blocks = tokens.length / blockSize;
        return (blocks + batchSize - 1) / batchSize;
    }

    @Override
    public Batch batch(long index) {
        int blocks = tokens.length / blockSize;
        int first = (int) (index % batches()) * batchSize;
        int rows = Math.min(batchSize, blocks - first);
        long[][] ids = new long[rows][];
        long[][] mask = new long[rows][blockSize];
        for (int r = 0; r < rows; r++) {
            int start = (first + r) * blockSize;
            ids[r] = Arrays.copyOfRange(tokens, start, start + blockSize);
            Arrays.fill(mask[r], 1);
        }
        return new Batch(ids, ids, mask);
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }
}
