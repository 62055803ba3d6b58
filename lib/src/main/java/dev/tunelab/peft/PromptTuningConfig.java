package dev.tunelab.peft;

/**
 * Prompt tuning (Lester et al. 2021): P learned virtual-token embeddings in front of the input.
 * As in PEFT, RANDOM starts them from N(0, 1) (nn.Embedding's default) and TEXT from the
 * embeddings of a text's tokens, repeated or cut to P.
 */
public record PromptTuningConfig(int numVirtualTokens, String initText, String tokenizerNameOrPath, long seed,
        String baseModelNameOrPath) implements AdapterConfig {

    public PromptTuningConfig {
        if (numVirtualTokens <= 0) {
            throw new IllegalArgumentException("num_virtual_tokens must be positive, was " + numVirtualTokens);
        }
    }

    @Override
    public PeftType peftType() {
        return PeftType.PROMPT_TUNING;
    }

    /** PEFT's prompt_tuning_init: "TEXT" when initialised from text, else "RANDOM". */
    public String init() {
        return initText == null ? "RANDOM" : "TEXT";
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private int numVirtualTokens = 8;
        private String initText;
        private String tokenizerNameOrPath;
        private long seed;
        private String baseModelNameOrPath;

        public Builder numVirtualTokens(int v) { numVirtualTokens = v; return this; }
        /** Start from this text's token embeddings (needs a tokenizer when applied). */
        public Builder initText(String text, String tokenizerNameOrPath) { initText = text; this.tokenizerNameOrPath = tokenizerNameOrPath; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder baseModelNameOrPath(String v) { baseModelNameOrPath = v; return this; }

        public PromptTuningConfig build() {
            return new PromptTuningConfig(numVirtualTokens, initText, tokenizerNameOrPath, seed, baseModelNameOrPath);
        }
    }
}
