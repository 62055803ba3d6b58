package dev.tunelab.generate;

import java.util.List;

/**
 * How to pick tokens. Temperature 0 is greedy decoding; otherwise logits are divided by the
 * temperature, cut to the top k and to the smallest set whose probability reaches top p
 * (Holtzman et al. 2019), and sampled with a seeded generator, so the same seed gives the same text.
 */
public record GenerationConfig(
        int maxNewTokens,
        double temperature,
        int topK,
        double topP,
        long seed,
        boolean useCache,
        boolean stopAtEos,
        List<String> stopStrings) {

    public GenerationConfig {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        if (temperature < 0) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topP <= 0 || topP > 1) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        stopStrings = List.copyOf(stopStrings);
    }

    /** Greedy decoding of up to 64 tokens with the KV cache. */
    public static GenerationConfig greedy() {
        return new GenerationConfig(64, 0, 0, 1, 0, true, true, List.of());
    }

    /** Sampling at the given temperature, no top-k/top-p cut, seed 0. */
    public static GenerationConfig sample(double temperature) {
        return new GenerationConfig(64, temperature, 0, 1, 0, true, true, List.of());
    }

    public GenerationConfig maxNewTokens(int n) {
        return new GenerationConfig(n, temperature, topK, topP, seed, useCache, stopAtEos, stopStrings);
    }

    public GenerationConfig temperature(double t) {
        return new GenerationConfig(maxNewTokens, t, topK, topP, seed, useCache, stopAtEos, stopStrings);
    }

    public GenerationConfig topK(int k) {
        return new GenerationConfig(maxNewTokens, temperature, k, topP, seed, useCache, stopAtEos, stopStrings);
    }

    public GenerationConfig topP(double p) {
        return new GenerationConfig(maxNewTokens, temperature, topK, p, seed, useCache, stopAtEos, stopStrings);
    }

    public GenerationConfig seed(long s) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, s, useCache, stopAtEos, stopStrings);
    }

    /** Turn the KV cache off to see what it saves: every step then re-reads the whole sequence. */
    public GenerationConfig useCache(boolean on) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, on, stopAtEos, stopStrings);
    }

    public GenerationConfig stopAtEos(boolean on) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, useCache, on, stopStrings);
    }

    public GenerationConfig stopStrings(String... stops) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, useCache, stopAtEos, List.of(stops));
    }
}
