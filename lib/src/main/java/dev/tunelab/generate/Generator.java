package dev.tunelab.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.KVCache;
import dev.tunelab.model.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Autoregressive generation for a batch of prompts. Prompts are left-padded to a common length,
 * position ids count real tokens only, so each row sees exactly what it would see alone. With
 * the KV cache, the first step reads the prompts and every later step only the newest token.
 */
public final class Generator {
    private final LlamaModel model;
    private final Set<Long> eosIds;
    private final long padId;
    private final Function<long[], String> decoder;

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

    public List<Generation> generate(List<long[]> prompts, GenerationConfig config) {
        // Sampling needs no gradients; without this, a thread in grad mode (a notebook cell after
        // training) records a graph through every step and the KV cache, growing without bound.
        return Autograd.noGrad(() -> generateWithoutGradients(prompts, config));
    }

    private List<Generation> generateWithoutGradients(List<long[]> prompts, GenerationConfig config) {
        int batch = prompts.size();
        int promptLen = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        if (promptLen == 0) {
            throw new IllegalArgumentException("every prompt needs at least one token");
        }
        int total = promptLen + config.maxNewTokens();
        int virtual = model.promptAdapter() == null ? 0 : model.promptAdapter().length(); // prompt/prefix tuning's positions come first
        if (total + virtual > model.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("prompt (" + promptLen + ") + maxNewTokens (" + config.maxNewTokens()
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
        Sampler sampler = new Sampler(config);
        List<List<Long>> out = new ArrayList<>();
        String[] reasons = new String[batch];
        long[] eosTokens = new long[batch];
        Arrays.fill(eosTokens, -1);
        for (int b = 0; b < batch; b++) {
            out.add(new ArrayList<>());
        }

        try (NDManager session = model.manager().newSubManager();
                KVCache cache = config.useCache()
                        ? new KVCache(session, model.config(), batch, total + model.virtualTokens(), model.dtype()) : null) {
            int length = promptLen;
            for (int step = 0; step < config.maxNewTokens(); step++) {
                float[][] logits;
                try (NDManager m = session.newSubManager()) {
                    // With a cache only the tokens it has not seen yet are fed (it also holds prompt tuning's virtual tokens).
                    int from = cache == null ? 0 : Math.max(0, cache.length() - model.virtualTokens());
                    NDArray input = m.create(slice(ids, from, length)).reshape(batch, length - from);
                    NDArray attention = m.create(slice(mask, 0, length)).reshape(batch, length);
                    NDArray positions = positions(m, mask, from, length);
                    NDArray all = model.forward(input, attention, positions, cache);
                    NDArray last = all.get(":, -1, :").toType(DataType.FLOAT32, false);
                    logits = toRows(last.toFloatArray(), batch);
                }
                boolean anyActive = false;
                for (int b = 0; b < batch; b++) {
                    if (reasons[b] != null) {
                        ids[b][length] = padId; // finished rows keep feeding padding, masked out
                        continue;
                    }
                    int token = sampler.next(logits[b]);
                    ids[b][length] = token;
                    mask[b][length] = 1;
                    if (config.stopAtEos() && eosIds.contains((long) token)) {
                        reasons[b] = "eos";
                        eosTokens[b] = token;
                        continue;
                    }
                    out.get(b).add((long) token);
                    if (!config.stopStrings().isEmpty() && stopStringIndex(out.get(b), config) >= 0) {
                        reasons[b] = "stop";
                        continue;
                    }
                    anyActive = true;
                }
                length++;
                if (!anyActive) {
                    break;
                }
            }
        }
        List<Generation> result = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            long[] tokens = out.get(b).stream().mapToLong(Long::longValue).toArray();
            String text = decoder == null ? null : decoder.apply(tokens);
            if (text != null && "stop".equals(reasons[b])) {
                text = text.substring(0, firstStop(text, config));
            }
            result.add(new Generation(prompts.get(b), tokens, text, reasons[b] == null ? "length" : reasons[b], eosTokens[b]));
        }
        return result;
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

    /** Position of each token = number of real tokens before it in its row (left padding shifts nothing). */
    private static NDArray positions(NDManager m, long[][] mask, int from, int to) {
        int batch = mask.length;
        long[] pos = new long[batch * (to - from)];
        for (int b = 0; b < batch; b++) {
            long seen = 0;
            for (int t = 0; t < to; t++) {
                if (t >= from) {
                    pos[b * (to - from) + t - from] = mask[b][t] == 1 ? seen : 0;
                }
                seen += mask[b][t];
            }
        }
        return m.create(pos, new Shape(batch, to - from));
    }

    private static long[] slice(long[][] rows, int from, int to) {
        long[] flat = new long[rows.length * (to - from)];
        for (int b = 0; b < rows.length; b++) {
            System.arraycopy(rows[b], from, flat, b * (to - from), to - from);
        }
        return flat;
    }

    private static float[][] toRows(float[] flat, int batch) {
        int v = flat.length / batch;
        float[][] rows = new float[batch][];
        for (int b = 0; b < batch; b++) {
            rows[b] = Arrays.copyOfRange(flat, b * v, (b + 1) * v);
        }
        return rows;
    }
}
