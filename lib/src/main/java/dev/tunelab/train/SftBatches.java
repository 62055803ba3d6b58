package dev.tunelab.train;

import dev.tunelab.io.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Supervised fine-tuning batches: tokenized examples ({@link SftSequence}) grouped into batches,
 * right-padded to the longest row, padding masked out of attention and loss.
 *
 * <p>The examples are read as one endless stream of epochs; epoch e visits them in an order
 * shuffled by a generator seeded with (seed, e). Batch i holds stream positions
 * i * batchSize ... i * batchSize + batchSize - 1, so it is computed directly from i, without
 * replaying earlier batches, and a resumed run sees the same batches as an uninterrupted one.
 *
 * <pre>{@code
 * SftBatches train = SftBatches.builder(tokenizer, PromptTemplate.alpaca(), examples)
 *         .batchSize(8).maxLength(256).seed(1).build();
 * }</pre>
 */
public final class SftBatches implements BatchSource {
    private final List<SftSequence> sequences;
    private final long padId;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final int dropped;
    private final String fingerprint;
    // The last epoch's order, so consecutive batches do not reshuffle; recomputable, so never state.
    private volatile Order cached;

    private record Order(long epoch, int[] indices) {}

    /**
     * @param sequences tokenized examples; each needs at least one trained token
     * @param padId the id written on padding positions (masked out, so any valid id works)
     * @param dropped how many examples the caller left out (reported only)
     * @param settings a description of how the sequences were made, part of the fingerprint
     */
    public SftBatches(List<SftSequence> sequences, long padId, int batchSize, long seed, boolean shuffle, int dropped,
            String settings) {
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("no examples to train on"
                    + (dropped > 0 ? " (all " + dropped + " lost their answer to truncation; raise maxLength)" : ""));
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        for (int i = 0; i < sequences.size(); i++) {
            if (sequences.get(i).trainedTokens() == 0) {
                throw new IllegalArgumentException("sequence " + i + " has no trained tokens, it would add nothing to the loss");
            }
        }
        this.sequences = List.copyOf(sequences);
        this.padId = padId;
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
        this.dropped = dropped;
        this.fingerprint = fingerprint(this.sequences, "sft:" + settings + ":batch=" + batchSize + ":seed=" + seed
                + ":shuffle=" + shuffle + ":pad=" + padId);
    }

    public static <T> Builder<T> builder(Tokenizer tokenizer, PromptTemplate<T> template, List<T> examples) {
        return new Builder<>(tokenizer, template, examples);
    }

    /** Settings with defaults: batch 8, at most 512 tokens, shuffled with seed 0, loss on the answers only. */
    public static final class Builder<T> {
        private final Tokenizer tokenizer;
        private final PromptTemplate<T> template;
        private final List<T> examples;
        private int batchSize = 8;
        private int maxLength = 512;
        private long seed = 0;
        private boolean shuffle = true;
        private boolean trainOnPrompt = false;

        private Builder(Tokenizer tokenizer, PromptTemplate<T> template, List<T> examples) {
            this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
            this.template = Objects.requireNonNull(template, "template");
            this.examples = Objects.requireNonNull(examples, "examples");
        }

        public Builder<T> batchSize(int v) { batchSize = v; return this; }
        /** Longest sequence in tokens; longer ones lose their end. */
        public Builder<T> maxLength(int v) { maxLength = v; return this; }
        public Builder<T> seed(long v) { seed = v; return this; }
        /** Shuffle each epoch (default); evaluation sets usually turn it off. */
        public Builder<T> shuffle(boolean v) { shuffle = v; return this; }
        /** Take the loss on the prompt tokens too (default: answers only). */
        public Builder<T> trainOnPrompt(boolean v) { trainOnPrompt = v; return this; }

        /**
         * Tokenizes every example. Examples whose answer was cut away entirely by truncation are
         * left out and counted in {@link SftBatches#dropped()}.
         */
        public SftBatches build() {
            SftEncoder<T> encoder = new SftEncoder<>(tokenizer, template, maxLength, trainOnPrompt);
            List<SftSequence> kept = new ArrayList<>();
            int dropped = 0;
            for (SftSequence s : encoder.encodeAll(examples)) {
                if (s.trainedTokens() > 0) {
                    kept.add(s);
                } else {
                    dropped++;
                }
            }
            long pad = tokenizer.padId().orElse(tokenizer.eosId().orElse(0));
            String settings = template.name() + ":max=" + maxLength + ":promptLoss=" + trainOnPrompt;
            return new SftBatches(kept, pad, batchSize, seed, shuffle, dropped, settings);
        }
    }

    @Override
    public Batch batch(long index) {
        if (index < 0) {
            throw new IllegalArgumentException("batch index must be >= 0, got " + index);
        }
        int[] rows = exampleIndices(index);
        java.util.List<long[]> ids = new java.util.ArrayList<>();
        java.util.List<long[]> labels = new java.util.ArrayList<>();
        for (int r : rows) {
            ids.add(sequences.get(r).ids());
            labels.add(sequences.get(r).labels());
        }
        return Batch.rightPadded(ids, labels, padId);
    }

    /** Which sequences (indices into {@link #sequences()}) make up batch {@code index}, row by row. */
    public int[] exampleIndices(long index) {
        int n = sequences.size();
        int[] rows = new int[batchSize];
        for (int b = 0; b < batchSize; b++) {
            long position = index * batchSize + b;
            rows[b] = order(position / n)[(int) (position % n)];
        }
        return rows;
    }

    private int[] order(long epoch) {
        Order o = cached;
        if (o != null && o.epoch() == epoch) {
            return o.indices();
        }
        int[] indices = epochOrder(sequences.size(), seed, epoch, shuffle);
        cached = new Order(epoch, indices);
        return indices;
    }

    /** 0 .. n-1 in epoch {@code epoch}'s order: shuffled (Fisher-Yates) by a generator that depends only on (seed, epoch). */
    static int[] epochOrder(int n, long seed, long epoch, boolean shuffle) {
        int[] indices = new int[n];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = i;
        }
        if (shuffle) {
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
            for (int i = indices.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = indices[i];
                indices[i] = indices[j];
                indices[j] = t;
            }
        }
        return indices;
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    /** The tokenized examples in their original order (without the dropped ones). */
    public List<SftSequence> sequences() {
        return sequences;
    }

    public int size() {
        return sequences.size();
    }

    public int batchSize() {
        return batchSize;
    }

    /** The id written on padding positions. */
    public long padId() {
        return padId;
    }

    public long seed() {
        return seed;
    }

    public boolean shuffled() {
        return shuffle;
    }

    /** Batches that cover every example once (the last one wraps into the next epoch). */
    public int batchesPerEpoch() {
        return (sequences.size() + batchSize - 1) / batchSize;
    }

    /** Examples left out because truncation cut away their whole answer. */
    public int dropped() {
        return dropped;
    }

    /** Kept examples whose answer lost its end (or its EOS) to truncation. */
    public int responseTruncated() {
        return (int) sequences.stream().filter(SftSequence::responseTruncated).count();
    }

    /** Tokens that carry the loss over one epoch. */
    public long trainedTokens() {
        return sequences.stream().mapToLong(SftSequence::trainedTokens).sum();
    }

    @Override
    public String toString() {
        int longest = sequences.stream().mapToInt(SftSequence::length).max().orElse(0);
        double mean = sequences.stream().mapToInt(SftSequence::length).average().orElse(0);
        return String.format("SftBatches(%d examples, batch %d, %d batches/epoch, %d trained tokens, length mean %.1f max %d,"
                + " %d answers truncated, %d dropped)", size(), batchSize, batchesPerEpoch(), trainedTokens(), mean, longest,
                responseTruncated(), dropped);
    }

    static String fingerprint(List<SftSequence> sequences, String settings) {
        // ids, then labels, with the length in front of each sequence so that boundaries count
        int total = 0;
        for (SftSequence s : sequences) {
            total += 1 + 2 * s.length();
        }
        long[] flat = new long[total];
        int at = 0;
        for (SftSequence s : sequences) {
            flat[at++] = s.length();
            System.arraycopy(s.ids(), 0, flat, at, s.length());
            System.arraycopy(s.labels(), 0, flat, at + s.length(), s.length());
            at += 2 * s.length();
        }
        return TokenWindows.fingerprint(flat, settings);
    }
}
