package dev.tunelab.peft;

/**
 * Prefix tuning (Li & Liang 2021): P learned keys and values in front of every attention layer's.
 * With {@code prefixProjection} they are produced during training by the paper's
 * reparameterisation, an MLP (Linear, tanh, Linear) over a smaller embedding; saving stores the
 * MLP's output, as PEFT does, so a loaded adapter is a plain table.
 */
public record PrefixTuningConfig(int numVirtualTokens, boolean prefixProjection, int encoderHiddenSize, long seed,
        String baseModelNameOrPath) implements AdapterConfig {

    public PrefixTuningConfig {
        if (numVirtualTokens <= 0) {
            throw new IllegalArgumentException("num_virtual_tokens must be positive, was " + numVirtualTokens);
        }
    }

    @Override
    public PeftType peftType() {
        return PeftType.PREFIX_TUNING;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private int numVirtualTokens = 8;
        private boolean prefixProjection;
        private int encoderHiddenSize = -1;
        private long seed;
        private String baseModelNameOrPath;

        public Builder numVirtualTokens(int v) { numVirtualTokens = v; return this; }
        /** Train through the reparameterisation MLP (hidden size defaults to the key/value width). */
        public Builder prefixProjection(boolean v) { prefixProjection = v; return this; }
        public Builder encoderHiddenSize(int v) { encoderHiddenSize = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder baseModelNameOrPath(String v) { baseModelNameOrPath = v; return this; }

        public PrefixTuningConfig build() {
            return new PrefixTuningConfig(numVirtualTokens, prefixProjection, encoderHiddenSize, seed, baseModelNameOrPath);
        }
    }
}
