package dev.tunelab.generate;

import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Autoregressive generation for a batch of prompts. Prompts are left-padded to a common length,
 * position ids count real tokens only, so each row sees exactly what it would see alone. With
 * the KV cache, the first step reads the prompts and every later step only the newest token.
 *
 * <p>On CPU the logits come from tunelab's Java decoder ({@link JavaDecoder}: the same model in
 * plain Java with the Vector API, about ten times faster than the DJL forward pass for small
 * models); {@link #backend} picks the DJL forward pass instead, which AUTO also falls back to where
 * the Java decoder cannot run the model ({@link #javaDecoderUnsupportedReason()} says why).
 */
public final class Generator {
    private final LlamaModel model;
    private final Set<Long> eosIds;
    private final long padId;
    private final Function<long[], String> decoder;
    private Backend backend = Backend.AUTO;
    private int threads = defaultThreads();

    /**
     * @param eosId the token that ends a sequence; -1 for none
     * @param decoder token ids to text, needed for stop strings and {@link Generation#text()}; may be null
     */
    public Generator(LlamaModel model, long eosId, long padId, Function<long[], String> decoder) {
        this(model, eosId < 0 ? Set.of() : Set.of(eosId), padId, decoder);
    }

    /**
     * @param eosIds every token that ends a sequence (Llama 3 has several: end of text, end of turn, ...)
     * @param decoder token ids to text, needed for stop strings and {@link Generation#text()}; may be null
     */
    public Generator(LlamaModel model, Set<Long> eosIds, long padId, Function<long[], String> decoder) {
        this.model = model;
        this.eosIds = Set.copyOf(eosIds);
        this.padId = padId;
        this.decoder = decoder;
    }

    /**
     * Which code computes the logits: {@link Backend#AUTO} (the default) takes tunelab's Java
     * decoder whenever {@link #javaDecoderUnsupportedReason()} is null, else the DJL forward pass.
     */
    public Generator backend(Backend backend) {
        this.backend = backend;
        return this;
    }

    /**
     * The Java decoder's threads when none are set: {@code OMP_NUM_THREADS} when it is set (the one
     * knob for libtorch's threads and tunelab's, so two notebooks on two cores with one thread each
     * do not compete), else every core.
     */
    static int defaultThreads() {
        String omp = System.getenv("OMP_NUM_THREADS");
        if (omp != null && omp.strip().matches("[1-9][0-9]*")) {
            return Integer.parseInt(omp.strip());
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** Threads of the Java decoder (default: {@link #defaultThreads()}). The tokens do not depend on it. */
    public Generator threads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        return this;
    }

    /** Why the Java decoder cannot run this model in this JVM now, or null when it can. */
    public String javaDecoderUnsupportedReason() {
        return JavaDecoding.unsupportedReason(model);
    }

    /**
     * Hears each new token of a row as soon as it is picked (a server streams it on), and may stop
     * the row: returning false ends it after this token (kept) with finish reason "cancelled" (a
     * client that went away).
     * It is not called for the end token, nor for the token that completes a stop string.
     */
    @FunctionalInterface
    public interface TokenListener {
        boolean onToken(int row, long token);

        /**
         * Hears that a row has ended (end token, stop string, its max new tokens, or cancelled),
         * as soon as it does: a server answers that row's request without waiting for the
         * batch's longest row. The default does nothing.
         */
        default void onRowFinished(int row, Generation generation) {}
    }

    public List<Generation> generate(List<long[]> prompts, GenerationConfig config) {
        return generate(prompts, config, (row, token) -> true);
    }

    /** As {@link #generate(List, GenerationConfig)}, telling {@code listener} of every token as it comes. */
    public List<Generation> generate(List<long[]> prompts, GenerationConfig config, TokenListener listener) {
        // Sampling needs no gradients; without this, a thread in grad mode (a notebook cell after
        // training) records a graph through every step and the KV cache, growing without bound.
        List<GenerationConfig> configs = Collections.nCopies(prompts.size(), config);
        return Autograd.noGrad(() -> generateWithoutGradients(prompts, configs, false, listener));
    }

    /**
     * Each row with its own settings: its own random stream seeded with its seed (so its draws are
     * the ones it makes alone), temperature, top-k, top-p, max new tokens, stop strings and end-token
     * rule. Row b's tokens are those of {@code generate(List.of(prompts.get(b)), configs.get(b))}; a
     * server batches independent requests this way. (With {@link #generate(List, GenerationConfig)}
     * the rows share one random stream, drawn row after row, so a batch's samples differ from each
     * other even with one seed.) The batch runs until its last row ends; the configs must agree on
     * {@code useCache}, and the longest prompt plus the largest max new tokens must fit the context.
     */
    public List<Generation> generateEach(List<long[]> prompts, List<GenerationConfig> configs, TokenListener listener) {
        if (configs.size() != prompts.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + configs.size() + " configs");
        }
        if (configs.stream().map(GenerationConfig::useCache).distinct().count() > 1) {
            throw new IllegalArgumentException("the rows of one batch must agree on useCache");
        }
        return Autograd.noGrad(() -> generateWithoutGradients(prompts, List.copyOf(configs), true, listener));
    }

    /** @param ownRandomPerRow one seeded random stream per row ({@link #generateEach}), else one shared by the batch */
    private List<Generation> generateWithoutGradients(List<long[]> prompts, List<GenerationConfig> configs, boolean ownRandomPerRow,
            TokenListener listener) {
        int batch = prompts.size();
        int promptLen = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        if (promptLen == 0) {
            throw new IllegalArgumentException("every prompt needs at least one token");
        }
        GenerationConfig config = configs.get(0); // what the rows share: the KV cache choice
        int steps = configs.stream().mapToInt(GenerationConfig::maxNewTokens).max().orElse(0);
        int total = promptLen + steps;
        int virtual = model.promptAdapter() == null ? 0 : model.promptAdapter().length(); // prompt/prefix tuning's positions come first
        if (total + virtual > model.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("prompt (" + promptLen + ") + maxNewTokens (" + steps
                    + (virtual > 0 ? ") + virtual tokens (" + virtual : "")
                    + ") exceeds max_position_embeddings " + model.config().maxPositionEmbeddings());
        }
        // Left-padded token ids and the 0/1 attention mask over every position so far.
        long[][] ids = new long[batch][total];
        long[][] mask = new long[batch][total];
        for (int b = 0; b < batch; b++) {
            long[] p = prompts.get(b);
            int offset = promptLen - p.length;
            Arrays.fill(ids[b], padId);
            System.arraycopy(p, 0, ids[b], offset, p.length);
            Arrays.fill(mask[b], offset, promptLen, 1);
        }
        Sampler shared = ownRandomPerRow ? null : new Sampler(config);
        Sampler[] own = ownRandomPerRow ? configs.stream().map(Sampler::new).toArray(Sampler[]::new) : null;
        Workers workers = new Workers(threads);
        List<List<Long>> out = new ArrayList<>();
        String[] reasons = new String[batch];
        long[] eosTokens = new long[batch];
        Arrays.fill(eosTokens, -1);
        Generation[] result = new Generation[batch];
        for (int b = 0; b < batch; b++) {
            out.add(new ArrayList<>());
            if (configs.get(b).maxNewTokens() == 0) { // nothing to generate: ended before the first step
                reasons[b] = "length";
                result[b] = finish(b, prompts, configs, out, reasons, eosTokens, listener);
            }
        }

        try (NextTokenLogits source = open(batch, total, config.useCache())) {
            int length = promptLen;
            for (int step = 0; step < steps; step++) {
                boolean[] finished = finished(reasons);
                if (!contains(finished, false)) {
                    break;
                }
                float[][] logits = source.next(ids, mask, length, finished);
                int[] picked = shared != null ? shared.next(logits, finished, workers) : pickEach(own, logits, finished);
                for (int b = 0; b < batch; b++) {
                    if (reasons[b] != null) {
                        ids[b][length] = padId; // finished rows keep feeding padding, masked out
                        continue;
                    }
                    GenerationConfig row = configs.get(b);
                    int token = picked[b];
                    ids[b][length] = token;
                    mask[b][length] = 1;
                    if (row.stopAtEos() && eosIds.contains((long) token)) {
                        reasons[b] = "eos";
                        eosTokens[b] = token;
                    } else {
                        out.get(b).add((long) token);
                        if (!row.stopStrings().isEmpty() && stopStringIndex(out.get(b), row) >= 0) {
                            reasons[b] = "stop";
                        } else if (!listener.onToken(b, token)) {
                            reasons[b] = "cancelled";
                        } else if (step + 1 == row.maxNewTokens()) { // a row with fewer new tokens than the batch's most
                            reasons[b] = "length";
                        }
                    }
                    if (reasons[b] != null) {
                        result[b] = finish(b, prompts, configs, out, reasons, eosTokens, listener);
                    }
                }
                length++;
            }
        }
        for (int b = 0; b < batch; b++) {
            if (result[b] == null) {
                reasons[b] = "length";
                result[b] = finish(b, prompts, configs, out, reasons, eosTokens, listener);
            }
        }
        return new ArrayList<>(Arrays.asList(result));
    }

    /** Row b's generation, once it has ended; its listener hears it. */
    private Generation finish(int b, List<long[]> prompts, List<GenerationConfig> configs, List<List<Long>> out, String[] reasons,
            long[] eosTokens, TokenListener listener) {
        long[] tokens = out.get(b).stream().mapToLong(Long::longValue).toArray();
        String text = decoder == null ? null : decoder.apply(tokens);
        if (text != null && "stop".equals(reasons[b])) {
            text = text.substring(0, firstStop(text, configs.get(b)));
        }
        Generation g = new Generation(prompts.get(b), tokens, text, reasons[b], eosTokens[b]);
        listener.onRowFinished(b, g);
        return g;
    }

    /** Each unfinished row's token from its own sampler (-1 for finished rows). */
    private static int[] pickEach(Sampler[] samplers, float[][] logits, boolean[] finished) {
        int[] tokens = new int[logits.length];
        for (int b = 0; b < logits.length; b++) {
            tokens[b] = finished[b] ? -1 : samplers[b].next(logits[b]);
        }
        return tokens;
    }

    private static boolean contains(boolean[] values, boolean value) {
        for (boolean v : values) {
            if (v == value) {
                return true;
            }
        }
        return false;
    }

    private int stopStringIndex(List<Long> tokens, GenerationConfig config) {
        if (decoder == null) {
            throw new IllegalStateException("stop strings need a decoder (token ids -> text)");
        }
        String text = decoder.apply(tokens.stream().mapToLong(Long::longValue).toArray());
        int at = firstStop(text, config);
        return at == text.length() ? -1 : at;
    }

    private static int firstStop(String text, GenerationConfig config) {
        int first = text.length();
        for (String s : config.stopStrings()) {
            int i = text.indexOf(s);
            if (i >= 0) {
                first = Math.min(first, i);
            }
        }
        return first;
    }

    /** The backend for one generate call: the Java decoder on CPU when it can run the model, else DJL. */
    private NextTokenLogits open(int batch, int total, boolean useCache) {
        if (backend == Backend.DJL) {
            return new DjlLogits(model, batch, total, useCache);
        }
        int virtual = model.promptAdapter() == null ? 0 : model.promptAdapter().length();
        String problem = JavaDecoding.unsupportedReason(model, batch, total + virtual);
        if (problem == null) {
            return new JavaLogits(model, batch, total, useCache, threads);
        }
        if (backend == Backend.JAVA) {
            throw new IllegalStateException("Backend.JAVA cannot run this model: " + problem);
        }
        return new DjlLogits(model, batch, total, useCache);
    }

    private static boolean[] finished(String[] reasons) {
        boolean[] done = new boolean[reasons.length];
        for (int b = 0; b < reasons.length; b++) {
            done[b] = reasons[b] != null;
        }
        return done;
    }
}
