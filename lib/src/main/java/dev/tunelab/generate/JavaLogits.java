package dev.tunelab.generate;

import dev.tunelab.model.LlamaModel;

/**
 * Next-token logits from {@link JavaDecoder}. Rows hold only their real tokens: the first step
 * feeds each row its prompt without the padding, later steps each unfinished row its newest token.
 * Without the cache every step starts over from the whole sequence, as the DJL path does.
 */
final class JavaLogits implements NextTokenLogits {
    private final JavaDecoder decoder;
    private final boolean useCache;
    private boolean started;

    JavaLogits(LlamaModel model, int batch, int total, boolean useCache, int threads) {
        JitWarmup.once();
        DecoderWeights weights = DecoderWeights.read(model);
        this.decoder = new JavaDecoder(weights, batch, total + weights.virtualTokens, new Workers(threads));
        this.useCache = useCache;
    }

    @Override
    public float[][] next(long[][] ids, long[][] mask, int length, boolean[] finished) {
        boolean whole = !useCache || !started;
        if (whole) {
            decoder.reset();
        }
        int[][] tokens = new int[ids.length][];
        for (int b = 0; b < ids.length; b++) {
            if (finished[b]) {
                continue;
            }
            if (whole) {
                int real = 0;
                for (int t = 0; t < length; t++) {
                    real += (int) mask[b][t];
                }
                tokens[b] = new int[real];
                for (int t = 0, i = 0; t < length; t++) {
                    if (mask[b][t] == 1) {
                        tokens[b][i++] = Math.toIntExact(ids[b][t]);
                    }
                }
            } else {
                tokens[b] = new int[] {Math.toIntExact(ids[b][length - 1])};
            }
        }
        started = true;
        return decoder.feed(tokens);
    }

    @Override
    public void close() {
        // plain Java arrays: nothing to free
    }
}
