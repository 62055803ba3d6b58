package dev.tunelab.train;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Language-model pretraining batches: windows of {@code blockSize} tokens cut at random offsets
 * from one long token stream (nanoGPT's get_batch). The offsets of batch i come from a generator
 * seeded with (seed, i), so any batch can be rebuilt without replaying the ones before it.
 */
public final class TokenWindows implements BatchSource {
    private final long[] tokens;
    private final int batchSize;
    private final int blockSize;
    private final long seed;
    private final String fingerprint;

    public TokenWindows(long[] tokens, int batchSize, int blockSize, long seed) {
        if (tokens.length <= blockSize) {
            throw new IllegalArgumentException("need more than blockSize=" + blockSize + " tokens, got " + tokens.length);
        }
        this.tokens = tokens;
        this.batchSize = batchSize;
        this.blockSize = blockSize;
        this.seed = seed;
        this.fingerprint = fingerprint(tokens, "windows:" + batchSize + "x" + blockSize + ":seed=" + seed);
    }

    @Override
    public Batch batch(long index) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
        long[][] ids = new long[batchSize][blockSize];
        long[][] mask = new long[batchSize][blockSize];
        for (int b = 0; b < batchSize; b++) {
            int start = random.nextInt(tokens.length - blockSize + 1);
            System.arraycopy(tokens, start, ids[b], 0, blockSize);
            java.util.Arrays.fill(mask[b], 1);
        }
        return new Batch(ids, ids, mask); // labels = inputs; the loss shifts them
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    /** sha256 of the tokens plus a description of the sampling, first 16 hex digits. */
    public static String fingerprint(long[] tokens, String settings) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            ByteBuffer buf = ByteBuffer.allocate(8 * 4096);
            for (int i = 0; i < tokens.length; i++) {
                if (!buf.hasRemaining()) {
                    sha.update(buf.array(), 0, buf.position());
                    buf.clear();
                }
                buf.putLong(tokens[i]);
            }
            sha.update(buf.array(), 0, buf.position());
            sha.update(settings.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
