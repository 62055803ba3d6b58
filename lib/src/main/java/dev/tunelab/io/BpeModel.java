package dev.tunelab.io;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A trained byte-level BPE tokenizer: special tokens (ids 0..k-1), the 256 byte symbols, then one
 * token per merge. It encodes and decodes in Java exactly as the Hugging Face {@code tokenizers}
 * library does with the {@code tokenizer.json} that {@link #save} writes, so it can check that
 * file and measure compression without the native library.
 *
 * <p>Immutable; encoding keeps a word cache and is synchronized, so share it freely but expect no
 * parallel speed-up.
 */
public final class BpeModel {

    /** What training saw and did. */
    public record TrainingStats(long documents, long words, int distinctWords, long bytes,
            int merges, String stoppedBecause, double seconds) {}

    /** Encoded size of some texts: UTF-8 bytes, tokens (no BOS/EOS added), and their ratio. */
    public record Compression(long bytes, long tokens) {
        public double bytesPerToken() {
            return tokens == 0 ? 0 : (double) bytes / tokens;
        }
    }

    private final List<String> specials;
    private final String[] tokens;
    private final int[][] merges; // {left, right, result} in rank order
    private final String bos, eos, pad;
    private final boolean addBosToken;
    private final int modelMaxLength;
    private final String chatTemplate;
    private final TrainingStats stats;

    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<Long, int[]> rankOf = new HashMap<>(); // pair -> {rank, result}
    private final Map<String, int[]> cache = new HashMap<>();

    BpeModel(List<String> specials, List<String> tokens, List<int[]> merges, String bos, String eos,
            String pad, boolean addBosToken, int modelMaxLength, String chatTemplate, TrainingStats stats) {
        this.specials = List.copyOf(specials);
        this.tokens = tokens.toArray(new String[0]);
        this.merges = merges.toArray(new int[0][]);
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
        this.addBosToken = addBosToken;
        this.modelMaxLength = modelMaxLength;
        this.chatTemplate = chatTemplate;
        this.stats = stats;
        for (int i = 0; i < this.tokens.length; i++) {
            ids.put(this.tokens[i], i);
        }
        for (int r = 0; r < this.merges.length; r++) {
            int[] m = this.merges[r];
            // a pair merged twice (possible when two merge paths build one string) keeps its first rank
            rankOf.putIfAbsent(pair(m[0], m[1]), new int[] {r, m[2]});
        }
    }

    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    // ------------------------------------------------------------------ accessors

    /** Number of tokens, special tokens included (the embedding matrix's row count). */
    public int vocabSize() {
        return tokens.length;
    }

    public int mergeCount() {
        return merges.length;
    }

    /** The special tokens in id order (ids 0..k-1). */
    public List<String> specialTokens() {
        return specials;
    }

    /** The token with id {@code id}, in byte-level form for ordinary tokens. */
    public String token(int id) {
        return tokens[id];
    }

    /** The id of {@code token} (byte-level form), or -1. */
    public int id(String token) {
        return ids.getOrDefault(token, -1);
    }

    /** The merges in rank order as Hugging Face writes them, {@code "left right"}. */
    public List<String> merges() {
        List<String> out = new ArrayList<>(merges.length);
        for (int[] m : merges) {
            out.add(tokens[m[0]] + " " + tokens[m[1]]);
        }
        return out;
    }

    public TrainingStats trainingStats() {
        return stats;
    }

    public String bosToken() {
        return bos;
    }

    public String eosToken() {
        return eos;
    }

    public String padToken() {
        return pad;
    }

    // ------------------------------------------------------------------ encoding

    /** Token ids of {@code text}; special tokens written in the text become their ids, nothing is added. */
    public int[] encode(String text) {
        return encode(text, false);
    }

    /** As {@link #encode(String)}, with BOS in front when {@code addSpecialTokens} and the tokenizer adds BOS. */
    public synchronized int[] encode(String text, boolean addSpecialTokens) {
        Objects.requireNonNull(text, "text");
        IntList out = new IntList();
        if (addSpecialTokens && addBosToken && bos != null) {
            out.add(ids.get(bos));
        }
        int from = 0;
        while (from < text.length()) {
            // leftmost special token, the longest one at that position (as the added-token matcher does)
            int at = text.length();
            String hit = null;
            for (String s : specials) {
                int i = text.indexOf(s, from);
                if (i >= 0 && (i < at || (i == at && s.length() > hit.length()))) {
                    at = i;
                    hit = s;
                }
            }
            for (String word : BpeByteLevel.preTokenize(text.substring(from, at))) {
                out.addAll(encodeWord(word));
            }
            if (hit == null) {
                break;
            }
            out.add(ids.get(hit));
            from = at + hit.length();
        }
        return out.toArray();
    }

    private int[] encodeWord(String word) {
        int[] cached = cache.get(word);
        if (cached != null) {
            return cached;
        }
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        int[] sym = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            sym[i] = byteId(bytes[i] & 0xFF);
        }
        int n = sym.length;
        // Merge the adjacent pair of lowest rank (leftmost on ties) until none is left: the order
        // in which training learned them, as in Sennrich et al. 2016 and the HF BPE model.
        while (n > 1) {
            int best = Integer.MAX_VALUE, at = -1, result = -1;
            for (int i = 0; i + 1 < n; i++) {
                int[] r = rankOf.get(pair(sym[i], sym[i + 1]));
                if (r != null && r[0] < best) {
                    best = r[0];
                    at = i;
                    result = r[1];
                }
            }
            if (at < 0) {
                break;
            }
            sym[at] = result;
            System.arraycopy(sym, at + 2, sym, at + 1, n - at - 2);
            n--;
        }
        int[] out = Arrays.copyOf(sym, n);
        if (cache.size() > 100_000) {
            cache.clear();
        }
        cache.put(word, out);
        return out;
    }

    private int byteId(int b) {
        return specials.size() + b;
    }

    /**
     * The text of {@code ids}; with {@code skipSpecialTokens} special tokens are left out.
     * Invalid UTF-8 (a token sequence cut inside a character) becomes U+FFFD.
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        StringBuilder text = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= tokens.length) {
                throw new IllegalArgumentException("token id " + id + " is not in the vocabulary (size " + tokens.length + ")");
            }
            if (id < specials.size()) {
                text.append(bytes.toString(StandardCharsets.UTF_8));
                bytes.reset();
                if (!skipSpecialTokens) {
                    text.append(tokens[id]);
                }
            } else {
                BpeByteLevel.appendBytes(tokens[id], bytes);
            }
        }
        return text.append(bytes.toString(StandardCharsets.UTF_8)).toString();
    }

    /** Bytes and tokens of {@code texts} encoded one by one, without BOS. */
    public Compression compression(Iterable<String> texts) {
        long b = 0, t = 0;
        for (String s : texts) {
            b += s.getBytes(StandardCharsets.UTF_8).length;
            t += encode(s).length;
        }
        return new Compression(b, t);
    }

    // ------------------------------------------------------------------ saving

    /**
     * Writes {@code tokenizer.json}, {@code tokenizer_config.json} and
     * {@code special_tokens_map.json} into {@code dir} (created if needed), each atomically. The
     * same model always gives the same bytes.
     */
    public void save(Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve("tokenizer.json"), write(tokenizerJson()));
        AtomicFiles.writeString(dir.resolve("tokenizer_config.json"), write(tokenizerConfigJson()));
        AtomicFiles.writeString(dir.resolve("special_tokens_map.json"), write(specialTokensMapJson()));
    }

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    // "\n" whatever the platform, so that the files are byte-identical everywhere
    // and "key": value as the Rust library writes it
    private static final ObjectWriter WRITER = new ObjectMapper().writer(new DefaultPrettyPrinter(
            Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    private static String write(ObjectNode node) {
        try {
            return WRITER.writeValueAsString(node) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The Hugging Face {@code tokenizer.json} of this model. */
    public ObjectNode tokenizerJson() {
        ObjectNode root = F.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < specials.size(); i++) {
            ObjectNode a = added.addObject();
            a.put("id", i);
            a.put("content", specials.get(i));
            a.put("single_word", false);
            a.put("lstrip", false);
            a.put("rstrip", false);
            a.put("normalized", false);
            a.put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel());
        if (addBosToken && bos != null) {
            root.set("post_processor", bosTemplate());
        } else {
            root.putNull("post_processor");
        }
        root.set("decoder", byteLevel());
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token"); // every byte is in the vocabulary, nothing is unknown
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < tokens.length; i++) {
            vocab.put(tokens[i], i);
        }
        ArrayNode m = model.putArray("merges");
        merges().forEach(m::add);
        return root;
    }

    private static ObjectNode byteLevel() {
        ObjectNode n = F.objectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", false);
        n.put("trim_offsets", true);
        n.put("use_regex", true);
        return n;
    }

    // BOS before every sequence, Llama style: "<bos> $A" and "<bos> $A <bos> $B"
    private ObjectNode bosTemplate() {
        ObjectNode n = F.objectNode();
        n.put("type", "TemplateProcessing");
        ArrayNode single = n.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pairT = n.putArray("pair");
        pairT.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        pairT.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pairT.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 1);
        pairT.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode st = n.putObject("special_tokens").putObject(bos);
        st.put("id", bos);
        st.putArray("ids").add(ids.get(bos));
        st.putArray("tokens").add(bos);
        return n;
    }

    private static ObjectNode addedToken(String content) {
        ObjectNode a = F.objectNode();
        a.put("content", content);
        a.put("lstrip", false);
        a.put("normalized", false);
        a.put("rstrip", false);
        a.put("single_word", false);
        return a;
    }

    /** {@code tokenizer_config.json} as transformers writes it for a {@code PreTrainedTokenizerFast}. */
    public ObjectNode tokenizerConfigJson() {
        ObjectNode c = F.objectNode();
        c.put("add_bos_token", addBosToken && bos != null);
        c.put("add_eos_token", false);
        ObjectNode dec = c.putObject("added_tokens_decoder");
        for (int i = 0; i < specials.size(); i++) {
            dec.set(Integer.toString(i), addedToken(specials.get(i)).put("special", true));
        }
        List<String> extra = extraSpecials();
        if (!extra.isEmpty()) {
            ArrayNode a = c.putArray("additional_special_tokens");
            extra.forEach(a::add);
        }
        putOrNull(c, "bos_token", bos);
        if (chatTemplate != null) {
            c.put("chat_template", chatTemplate);
        }
        c.put("clean_up_tokenization_spaces", false);
        putOrNull(c, "eos_token", eos);
        c.put("model_max_length", modelMaxLength);
        putOrNull(c, "pad_token", pad);
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        c.putNull("unk_token");
        return c;
    }

    /** {@code special_tokens_map.json}: the role of each special token. */
    public ObjectNode specialTokensMapJson() {
        ObjectNode m = F.objectNode();
        List<String> extra = extraSpecials();
        if (!extra.isEmpty()) {
            ArrayNode a = m.putArray("additional_special_tokens");
            extra.forEach(s -> a.add(addedToken(s)));
        }
        Map<String, String> roles = new LinkedHashMap<>();
        roles.put("bos_token", bos);
        roles.put("eos_token", eos);
        roles.put("pad_token", pad);
        roles.forEach((k, v) -> {
            if (v != null) {
                m.set(k, addedToken(v));
            }
        });
        return m;
    }

    private List<String> extraSpecials() {
        List<String> extra = new ArrayList<>(specials);
        extra.removeAll(Arrays.asList(bos, eos, pad));
        return Collections.unmodifiableList(extra);
    }

    private static void putOrNull(ObjectNode n, String key, String value) {
        if (value == null) {
            n.putNull(key);
        } else {
            n.put(key, value);
        }
    }

    @Override
    public String toString() {
        return "BpeModel[vocab " + tokens.length + ", merges " + merges.length + ", specials " + specials + "]";
    }

    /** A growable int array, to avoid boxing on the encoding path. */
    static final class IntList {
        int[] a = new int[16];
        int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        void addAll(int[] v) {
            if (n + v.length > a.length) {
                a = Arrays.copyOf(a, Math.max(a.length * 2, n + v.length));
            }
            System.arraycopy(v, 0, a, n, v.length);
            n += v.length;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
