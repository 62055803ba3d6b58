package dev.tunelab.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Trains a byte-level BPE tokenizer (GPT-2 style) and returns a {@link BpeModel} that saves as a
 * Hugging Face {@code tokenizer.json}.
 *
 * <p>Algorithm (Sennrich et al. 2016, "Neural Machine Translation of Rare Words with Subword
 * Units"): split documents into words with GPT-2's pattern, count the distinct words, start each
 * word as its UTF-8 bytes, then repeatedly merge the most frequent adjacent pair of symbols, pairs
 * counted within words and weighted by word counts, until the vocabulary is full or no pair occurs
 * {@code minFrequency} times. Ties go to the pair whose left token, then right token, comes first
 * in {@link String#compareTo} order, so a corpus always gives the same merges.
 *
 * <p>Pair counts are kept up to date per merge (only the words that contain the merged pair are
 * touched, found through a pair-to-words index), and the most frequent pair comes from a priority
 * queue whose stale entries are dropped when popped; no merge recounts the corpus.
 *
 * <pre>{@code
 * BpeModel tok = BpeTrainer.builder().vocabSize(2048).build().train(stories);
 * tok.save(Path.of("datasets/models/tinystories-base"));
 * }</pre>
 */
public final class BpeTrainer {

    /** The TinyStories separator, used as end-of-text token by default. */
    public static final String ENDOFTEXT = "<|endoftext|>";

    /**
     * ChatML (the format of {@code <|im_start|>}/{@code <|im_end|>}), written as
     * {@code chat_template} when both markers are special tokens and no other template was given.
     */
    public static final String CHATML_TEMPLATE = "{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private final int vocabSize;
    private final int minFrequency;
    private final List<String> specials;
    private final String bos, eos, pad;
    private final boolean addBosToken;
    private final int modelMaxLength;
    private final String chatTemplate;

    private BpeTrainer(Builder b) {
        this.bos = b.bos;
        this.eos = b.eos;
        this.pad = b.pad;
        // ids 0..k-1: pad, bos, eos, then the other special tokens in the order given
        Set<String> s = new LinkedHashSet<>();
        for (String t : Arrays.asList(b.pad, b.bos, b.eos)) {
            if (t != null) {
                s.add(t);
            }
        }
        s.addAll(b.specialTokens);
        for (String t : s) {
            if (t.isEmpty()) {
                throw new IllegalArgumentException("a special token cannot be empty");
            }
        }
        this.specials = List.copyOf(s);
        if (b.vocabSize < specials.size() + 256) {
            throw new IllegalArgumentException("vocabSize " + b.vocabSize + " is below the " + specials.size()
                    + " special tokens + 256 byte tokens that every byte-level vocabulary holds");
        }
        if (b.minFrequency < 1) {
            throw new IllegalArgumentException("minFrequency must be at least 1, got " + b.minFrequency);
        }
        if (b.modelMaxLength < 1) {
            throw new IllegalArgumentException("modelMaxLength must be positive, got " + b.modelMaxLength);
        }
        this.vocabSize = b.vocabSize;
        this.minFrequency = b.minFrequency;
        this.addBosToken = b.addBosToken;
        this.modelMaxLength = b.modelMaxLength;
        this.chatTemplate = b.chatTemplate != null ? b.chatTemplate
                : specials.contains("<|im_start|>") && specials.contains("<|im_end|>") ? CHATML_TEMPLATE : null;
        if (chatTemplate != null) {
            try { // a template that cannot render is refused now, not when the saved tokenizer is used
                JinjaTemplate.compile(chatTemplate, java.time.Clock.systemUTC());
            } catch (JinjaTemplate.JinjaException e) {
                throw new IllegalArgumentException("chatTemplate: " + e.getMessage(), e);
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings; the defaults give a Llama-style tokenizer for TinyStories with ChatML markers. */
    public static final class Builder {
        private int vocabSize = 2048;
        private int minFrequency = 2;
        private String bos = "<|bos|>";
        private String eos = ENDOFTEXT;
        private String pad = "<|pad|>";
        private List<String> specialTokens = List.of("<|im_start|>", "<|im_end|>");
        private boolean addBosToken = true;
        private int modelMaxLength = 2048;
        private String chatTemplate;

        private Builder() {}

        /** Target vocabulary size, special tokens and the 256 byte tokens included. */
        public Builder vocabSize(int n) {
            this.vocabSize = n;
            return this;
        }

        /** Training stops before a merge whose pair occurs fewer times than this. */
        public Builder minFrequency(int n) {
            this.minFrequency = n;
            return this;
        }

        /** Beginning-of-sequence token, or null for none. */
        public Builder bos(String token) {
            this.bos = token;
            return this;
        }

        /** End-of-sequence token, or null for none. */
        public Builder eos(String token) {
            this.eos = token;
            return this;
        }

        /** Padding token, or null for none. */
        public Builder pad(String token) {
            this.pad = token;
            return this;
        }

        /** Special tokens besides pad/bos/eos (chat markers), ids in this order after them. */
        public Builder specialTokens(String... tokens) {
            this.specialTokens = List.of(tokens);
            return this;
        }

        /** Whether encoding with special tokens puts BOS in front (post-processor and {@code add_bos_token}). */
        public Builder addBosToken(boolean add) {
            this.addBosToken = add;
            return this;
        }

        /** {@code model_max_length} of tokenizer_config.json: the model's context length. */
        public Builder modelMaxLength(int n) {
            this.modelMaxLength = n;
            return this;
        }

        /**
         * {@code chat_template} (Jinja, checked when the trainer is built); by default ChatML when
         * its markers are special tokens.
         */
        public Builder chatTemplate(String template) {
            this.chatTemplate = template;
            return this;
        }

        public BpeTrainer build() {
            return new BpeTrainer(this);
        }
    }

    // ------------------------------------------------------------------ training

    /** Trains on {@code documents}; special tokens written in them are cut out, not learned. */
    public BpeModel train(Iterable<String> documents) {
        long start = System.nanoTime();
        Map<String, long[]> counts = new HashMap<>();
        long docs = 0, words = 0, bytes = 0;
        for (String doc : documents) {
            docs++;
            bytes += doc.getBytes(StandardCharsets.UTF_8).length;
            for (String piece : splitSpecials(doc)) {
                for (String w : BpeByteLevel.preTokenize(piece)) {
                    counts.computeIfAbsent(w, k -> new long[1])[0]++;
                    words++;
                }
            }
        }
        Merger m = new Merger(counts);
        String stop = m.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        var stats = new BpeModel.TrainingStats(docs, words, counts.size(), bytes, m.merges.size(), stop, seconds);
        return new BpeModel(specials, m.tokens, m.merges, bos, eos, pad, addBosToken, modelMaxLength,
                chatTemplate, stats);
    }

    private List<String> splitSpecials(String doc) {
        List<String> pieces = new ArrayList<>();
        int from = 0;
        while (true) {
            int at = doc.length();
            String hit = null;
            for (String s : specials) {
                int i = doc.indexOf(s, from);
                if (i >= 0 && (i < at || (i == at && s.length() > hit.length()))) {
                    at = i;
                    hit = s;
                }
            }
            if (at > from) {
                pieces.add(doc.substring(from, at));
            }
            if (hit == null) {
                return pieces;
            }
            from = at + hit.length();
        }
    }

    /** The merge loop over distinct words, with incremental pair counts. */
    private final class Merger {
        final List<String> tokens = new ArrayList<>();
        final Map<String, Integer> idOf = new HashMap<>();
        final List<int[]> merges = new ArrayList<>();

        final int[][] words;      // symbols of each distinct word
        final long[] wordCount;   // its number of occurrences
        final Map<Long, long[]> pairCount = new HashMap<>();
        final Map<Long, BpeModel.IntList> wordsWith = new HashMap<>(); // may list stale words, never misses one
        final PriorityQueue<long[]> queue; // {pair, count}; an entry is stale when its count is not the current one

        Merger(Map<String, long[]> counts) {
            for (String s : specials) {
                add(s);
            }
            for (int b = 0; b < 256; b++) {
                add(String.valueOf(BpeByteLevel.byteToChar(b)));
            }
            // word order does not change the result; sorting keeps the index reproducible anyway
            String[] distinct = counts.keySet().toArray(new String[0]);
            Arrays.sort(distinct);
            words = new int[distinct.length][];
            wordCount = new long[distinct.length];
            for (int w = 0; w < distinct.length; w++) {
                byte[] utf8 = distinct[w].getBytes(StandardCharsets.UTF_8);
                words[w] = new int[utf8.length];
                for (int i = 0; i < utf8.length; i++) {
                    words[w][i] = specials.size() + (utf8[i] & 0xFF);
                }
                wordCount[w] = counts.get(distinct[w])[0];
                for (int i = 0; i + 1 < words[w].length; i++) {
                    long p = BpeModel.pair(words[w][i], words[w][i + 1]);
                    pairCount.computeIfAbsent(p, k -> new long[1])[0] += wordCount[w];
                    index(p, w);
                }
            }
            queue = new PriorityQueue<>(Math.max(16, pairCount.size()), this::better);
            pairCount.forEach((p, c) -> queue.add(new long[] {p, c[0]}));
        }

        private int add(String token) {
            int id = tokens.size();
            tokens.add(token);
            idOf.put(token, id);
            return id;
        }

        private void index(long p, int w) {
            BpeModel.IntList l = wordsWith.computeIfAbsent(p, k -> new BpeModel.IntList());
            if (l.n == 0 || l.a[l.n - 1] != w) { // a word adds its pairs together: skip repeats
                l.add(w);
            }
        }

        // higher count first, then left token, then right token in string order
        private int better(long[] x, long[] y) {
            if (x[1] != y[1]) {
                return Long.compare(y[1], x[1]);
            }
            int c = tokens.get((int) (x[0] >>> 32)).compareTo(tokens.get((int) (y[0] >>> 32)));
            return c != 0 ? c : tokens.get((int) x[0]).compareTo(tokens.get((int) y[0]));
        }

        String run() {
            while (true) {
                if (idOf.size() >= vocabSize) {
                    return "vocabulary size reached";
                }
                long[] top = queue.poll();
                while (top != null && top[1] != current(top[0])) {
                    top = queue.poll();
                }
                if (top == null) {
                    return "no pair left to merge";
                }
                if (top[1] < minFrequency) {
                    return "most frequent pair occurs " + top[1] + " < minFrequency " + minFrequency + " times";
                }
                merge(top[0]);
            }
        }

        private long current(long p) {
            long[] c = pairCount.get(p);
            return c == null ? 0 : c[0];
        }

        private void merge(long p) {
            int a = (int) (p >>> 32), b = (int) p;
            String joined = tokens.get(a) + tokens.get(b);
            // should two merge paths ever spell one string ("a bc", "ab c"), it keeps one id, as in
            // the HF trainer (not seen on random corpora, where merges apply consistently)
            Integer existing = idOf.get(joined);
            int c = existing != null ? existing : add(joined);
            merges.add(new int[] {a, b, c});

            Map<Long, long[]> delta = new HashMap<>();
            BpeModel.IntList list = wordsWith.remove(p);
            for (int k = 0; k < list.n; k++) {
                int w = list.a[k];
                int[] old = words[w];
                int[] merged = replace(old, a, b, c);
                if (merged == null) {
                    continue; // stale index entry: an earlier merge took the pair out of this word
                }
                long n = wordCount[w];
                for (int i = 0; i + 1 < old.length; i++) {
                    delta.computeIfAbsent(BpeModel.pair(old[i], old[i + 1]), q -> new long[1])[0] -= n;
                }
                for (int i = 0; i + 1 < merged.length; i++) {
                    long q = BpeModel.pair(merged[i], merged[i + 1]);
                    delta.computeIfAbsent(q, x -> new long[1])[0] += n;
                    if (merged[i] == c || merged[i + 1] == c) {
                        index(q, w);
                    }
                }
                words[w] = merged;
            }
            delta.forEach((q, d) -> {
                if (d[0] != 0) {
                    long[] cnt = pairCount.computeIfAbsent(q, x -> new long[1]);
                    cnt[0] += d[0];
                    if (cnt[0] > 0) {
                        queue.add(new long[] {q, cnt[0]});
                    } else {
                        pairCount.remove(q);
                    }
                }
            });
            pairCount.remove(p);
        }
    }

    /** {@code sym} with each (a, b), left to right and not overlapping, replaced by c; null when there is none. */
    static int[] replace(int[] sym, int a, int b, int c) {
        int[] out = null;
        int n = 0;
        for (int i = 0; i < sym.length; i++) {
            if (i + 1 < sym.length && sym[i] == a && sym[i + 1] == b) {
                if (out == null) {
                    out = Arrays.copyOf(sym, sym.length - 1);
                    n = i;
                }
                out[n++] = c;
                i++;
            } else if (out != null) {
                out[n++] = sym[i];
            }
        }
        return out == null ? null : Arrays.copyOf(out, n);
    }

    // ------------------------------------------------------------------ files and command line

    /**
     * The documents of a TinyStories-style file: the text between {@code separator}s, stripped of
     * surrounding white space, empty ones dropped. Text after the last separator is dropped too
     * (the files end with a story cut off mid-way); a file without any separator is one document.
     */
    public static List<String> readDocuments(Path file, String separator) throws IOException {
        if (separator.isEmpty()) {
            throw new IllegalArgumentException("the document separator cannot be empty");
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        List<String> docs = new ArrayList<>();
        int last = text.lastIndexOf(separator);
        if (last < 0) {
            if (!text.isBlank()) {
                docs.add(text.strip());
            }
            return docs;
        }
        int from = 0;
        while (from <= last) {
            int at = text.indexOf(separator, from);
            String d = text.substring(from, at).strip();
            if (!d.isEmpty()) {
                docs.add(d);
            }
            from = at + separator.length();
        }
        return docs;
    }
}
