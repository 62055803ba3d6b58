package dev.tunelab.bench;

import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.generate.Generator;
import dev.tunelab.model.LlamaModel;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Greedy generation of a fixed number of tokens (end-of-text ignored) for one prompt, with the KV
 * cache and without it: without, every step re-reads the whole sequence.
 */
public record GenerationBench(int promptTokens, int newTokens, double cachedSeconds, double uncachedSeconds,
        boolean sameTokens) {

    public static GenerationBench run(LlamaModel model, int promptTokens, int newTokens, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] prompt = new long[promptTokens];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = random.nextInt(model.config().vocabSize());
        }
        Generator generator = new Generator(model, model.config().eosTokenId(), model.config().padTokenId(), null);
        GenerationConfig greedy = GenerationConfig.greedy().stopAtEos(false);
        // Warm-up: the first forward passes of each kind pay for allocation and thread start-up.
        generator.generate(List.of(prompt), greedy.maxNewTokens(16).useCache(true));
        generator.generate(List.of(prompt), greedy.maxNewTokens(16).useCache(false));

        long start = System.nanoTime();
        Generation cached = generator.generate(List.of(prompt), greedy.maxNewTokens(newTokens).useCache(true)).get(0);
        double cachedSeconds = (System.nanoTime() - start) / 1e9;
        start = System.nanoTime();
        Generation uncached = generator.generate(List.of(prompt), greedy.maxNewTokens(newTokens).useCache(false)).get(0);
        double uncachedSeconds = (System.nanoTime() - start) / 1e9;
        if (cached.tokens().length != newTokens || uncached.tokens().length != newTokens) {
            throw new IllegalStateException("expected " + newTokens + " new tokens, got " + cached.tokens().length
                    + " (cache) and " + uncached.tokens().length + " (no cache)");
        }
        return new GenerationBench(promptTokens, newTokens, cachedSeconds, uncachedSeconds,
                Arrays.equals(cached.tokens(), uncached.tokens()));
    }

    public double cachedTokensPerSecond() {
        return newTokens / cachedSeconds;
    }

    public double uncachedTokensPerSecond() {
        return newTokens / uncachedSeconds;
    }

    public double speedup() {
        return uncachedSeconds / cachedSeconds;
    }
}
