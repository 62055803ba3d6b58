package dev.tunelab.distill;

import dev.tunelab.generate.GenerationConfig;

/**
 * How a {@link Teacher} samples: the generation settings (temperature, top-p, length), how many
 * prompts go through the model together, how many tries a task gets, and the seed every batch's
 * sampling seed is drawn from (the same seed and batch size give the same data).
 *
 * @param requireEos keep only continuations the model ended itself; one cut at maxNewTokens is unfinished
 * @param startAfterEos put the end-of-text token before each prompt, as every story but the first
 *     followed one in pretraining (off by default: a prompt is encoded as any other text is)
 * @param addBos let the tokenizer add the special tokens its config asks for ({@code add_bos_token}),
 *     as generation, perplexity and SFT prompts do ({@code SftEncoder.promptIds}); on by default
 */
public record TeacherConfig(GenerationConfig sampling, int batchSize, int maxAttempts, boolean requireEos,
        boolean startAfterEos, boolean addBos, long seed) {

    public TeacherConfig {
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be >= 1, got " + maxAttempts);
    }

    /**
     * Temperature 0.8, top-p 0.95 (the base models' generation_config.json), 300 new tokens, batches
     * of 16, 3 tries; prompts encoded as the tokenizer's config says.
     */
    public static TeacherConfig defaults() {
        return new TeacherConfig(GenerationConfig.sample(0.8).topP(0.95).maxNewTokens(300), 16, 3, true, false, true, 0);
    }

    public TeacherConfig sampling(GenerationConfig g) {
        return new TeacherConfig(g, batchSize, maxAttempts, requireEos, startAfterEos, addBos, seed);
    }

    public TeacherConfig batchSize(int n) {
        return new TeacherConfig(sampling, n, maxAttempts, requireEos, startAfterEos, addBos, seed);
    }

    public TeacherConfig maxAttempts(int n) {
        return new TeacherConfig(sampling, batchSize, n, requireEos, startAfterEos, addBos, seed);
    }

    public TeacherConfig requireEos(boolean on) {
        return new TeacherConfig(sampling, batchSize, maxAttempts, on, startAfterEos, addBos, seed);
    }

    public TeacherConfig startAfterEos(boolean on) {
        return new TeacherConfig(sampling, batchSize, maxAttempts, requireEos, on, addBos, seed);
    }

    public TeacherConfig seed(long s) {
        return new TeacherConfig(sampling, batchSize, maxAttempts, requireEos, startAfterEos, addBos, s);
    }

    public TeacherConfig addBos(boolean on) {
        return new TeacherConfig(sampling, batchSize, maxAttempts, requireEos, startAfterEos, on, seed);
    }
}
