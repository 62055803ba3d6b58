package dev.tunelab.io;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Hugging Face fast tokenizer ({@code tokenizer.json}) with the special tokens of its
 * {@code tokenizer_config.json}, backed by DJL's native binding of the Rust {@code tokenizers}
 * library.
 *
 * <p>Offline: DJL ships the native library for linux-x86_64 (and linux-aarch64, macOS arm64,
 * Windows x86_64) inside the {@code ai.djl.huggingface:tokenizers} jar and copies it to its cache
 * ({@code ~/.djl.ai/tokenizers}, or {@code ENGINE_CACHE_DIR}) on first use. It only downloads when it
 * wants a CUDA build of the library, which it does on a machine with a CUDA GPU; tokenization runs
 * on the CPU anyway, so this class sets the system property {@code RUST_FLAVOR=cpu} before DJL
 * loads the library, unless the environment variable or property {@code RUST_FLAVOR} is already
 * set. (DJL also pings an EC2 metadata address once a day for telemetry; set
 * {@code OPT_OUT_TRACKING=true} or {@code DJL_OFFLINE=true} to stop it.)
 *
 * <p>Special tokens: {@code bos_token}, {@code eos_token}, {@code pad_token}, {@code unk_token} of
 * {@code tokenizer_config.json} are read in both forms Hugging Face writes, a plain string or an
 * {@code AddedToken} object with {@code content}, and looked up in the vocabulary. Without a
 * config file there are no special tokens. {@code add_bos_token}/{@code add_eos_token}, when the
 * config states them, decide whether {@link #encode(String)} adds BOS/EOS, as transformers'
 * {@code LlamaTokenizerFast} does (it rebuilds the post-processor from them); otherwise the
 * post-processor of {@code tokenizer.json} decides.
 *
 * <p>Chat templates: the Jinja {@code chat_template} of {@code tokenizer_config.json} (or a
 * {@code chat_template.jinja} file, which wins, as in transformers) renders a conversation as the
 * model was trained on it: {@link #applyChatTemplate}, {@link #jinjaChatTemplate()}.
 *
 * <p>Encoding and decoding may be called from several threads; {@link #close()} frees the native
 * tokenizer and must come last.
 */
public final class Tokenizer implements AutoCloseable {

    /** Which side of a sequence the padding goes on. Generation wants LEFT, training RIGHT. */
    public enum Padding { LEFT, RIGHT }

    /**
     * Token ids of a batch, padded to one length, with the attention mask (1 = real token,
     * 0 = padding).
     */
    public record Batch(long[][] ids, long[][] attentionMask, Padding side) {

        /** Number of sequences. */
        public int size() {
            return ids.length;
        }

        /** Padded length of every row (0 for an empty batch). */
        public int length() {
            return ids.length == 0 ? 0 : ids[0].length;
        }

        /** Real (unpadded) length of each row. */
        public int[] lengths() {
            int[] n = new int[ids.length];
            for (int b = 0; b < ids.length; b++) {
                for (long m : attentionMask[b]) {
                    n[b] += (int) m;
                }
            }
            return n;
        }

        /**
         * Position ids as transformers' {@code generate} derives them from the mask:
         * {@code cumsum(mask) - 1}, with padded positions set to 1. With right padding this is
         * 0..T-1 on the real tokens; with left padding each row still starts at 0.
         */
        public long[][] positionIds() {
            long[][] pos = new long[ids.length][];
            for (int b = 0; b < ids.length; b++) {
                pos[b] = new long[attentionMask[b].length];
                long c = 0;
                for (int t = 0; t < pos[b].length; t++) {
                    c += attentionMask[b][t];
                    pos[b][t] = attentionMask[b][t] == 0 ? 1 : c - 1;
                }
            }
            return pos;
        }

        /** The ids as an int64 array of shape (size, length) in {@code manager}. */
        public NDArray ids(NDManager manager) {
            return manager.create(ids);
        }

        /** The attention mask as an int64 array of shape (size, length) in {@code manager}. */
        public NDArray attentionMask(NDManager manager) {
            return manager.create(attentionMask);
        }
    }

    static {
        // See the class comment: keep DJL on the CPU build that is inside the jar.
        if (System.getenv("RUST_FLAVOR") == null && System.getProperty("RUST_FLAVOR") == null) {
            System.setProperty("RUST_FLAVOR", "cpu");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    // transformers writes model_max_length = 1e30 (VERY_LARGE_INTEGER) to mean "no limit"
    private static final double NO_LIMIT = 1e18;

    private final Path file;
    private final Path configFile;
    private final HuggingFaceTokenizer hf;
    private final Map<String, Long> vocab;
    private final String[] byId;
    private final Set<Long> specialIds;
    private final Long bos, eos, pad, unk;
    private final String bosToken, eosToken, padToken, unkToken;
    private final Boolean addBos, addEos;
    private final boolean processorAddsBos, processorAddsEos;
    private final boolean cleanUpSpaces;
    private final Integer modelMaxLength;
    private final Map<String, String> chatTemplates;
    private final Map<String, Path> chatTemplateFiles;
    private final Map<String, Object> templateVariables;
    private final Map<String, JinjaChatTemplate> compiledTemplates = new ConcurrentHashMap<>();

    /**
     * Loads {@code dir/tokenizer.json} and, if present, {@code dir/tokenizer_config.json}.
     * {@code dir} may also be the {@code tokenizer.json} file itself.
     *
     * @throws TokenizerException naming the file and the problem
     */
    public static Tokenizer load(Path dir) {
        Objects.requireNonNull(dir, "dir");
        Path file = Files.isRegularFile(dir) ? dir : dir.resolve("tokenizer.json");
        Path folder = file.toAbsolutePath().getParent();
        if (!Files.isRegularFile(file)) {
            throw new TokenizerException(file, Files.isDirectory(dir)
                    ? "missing: the folder has no tokenizer.json (the Hugging Face fast-tokenizer file)"
                    : "missing: no such file or folder");
        }
        Path configFile = folder.resolve("tokenizer_config.json");
        JsonNode config = Files.isRegularFile(configFile) ? readJson(configFile) : null;
        return new Tokenizer(file, configFile, config);
    }

    private Tokenizer(Path file, Path configFile, JsonNode config) {
        this.file = file;
        this.configFile = configFile;
        byte[] bytes = readBytes(file);
        JsonNode json = parseJson(file, bytes);
        this.hf = createNative(file, bytes);
        try {
            // Vocabulary from the JSON: DJL exposes no token<->id lookup.
            Map<String, Long> v = new HashMap<>();
            Set<Long> special = new HashSet<>();
            readVocab(file, json, v, special);
            this.vocab = Collections.unmodifiableMap(v);
            this.specialIds = Collections.unmodifiableSet(special);
            long max = v.values().stream().mapToLong(Long::longValue).max().orElse(-1);
            this.byId = new String[(int) (max + 1)];
            v.forEach((tok, id) -> byId[id.intValue()] = tok);

            this.bosToken = specialToken(configFile, config, "bos_token");
            this.eosToken = specialToken(configFile, config, "eos_token");
            this.padToken = specialToken(configFile, config, "pad_token");
            this.unkToken = specialToken(configFile, config, "unk_token");
            this.bos = idOf(configFile, "bos_token", bosToken);
            this.eos = idOf(configFile, "eos_token", eosToken);
            this.pad = idOf(configFile, "pad_token", padToken);
            this.unk = idOf(configFile, "unk_token", unkToken);
            this.addBos = bool(configFile, config, "add_bos_token");
            this.addEos = bool(configFile, config, "add_eos_token");
            Boolean cleanUp = bool(configFile, config, "clean_up_tokenization_spaces");
            this.cleanUpSpaces = cleanUp != null && cleanUp;
            this.modelMaxLength = maxLength(configFile, config);
            Map<String, Path> templateFiles = new LinkedHashMap<>();
            this.chatTemplates = chatTemplates(configFile, config, templateFiles);
            this.chatTemplateFiles = Collections.unmodifiableMap(templateFiles);
            this.templateVariables = templateVariables(configFile, config);

            // What the post-processor of tokenizer.json adds around every sequence; add_bos_token
            // and add_eos_token are applied relative to it.
            long[] empty = hf.encode("", true, false).getIds();
            this.processorAddsBos = bos != null && empty.length > 0 && empty[0] == bos;
            this.processorAddsEos = eos != null && empty.length > 0 && empty[empty.length - 1] == eos
                    && !(processorAddsBos && empty.length == 1 && bos.equals(eos));
        } catch (RuntimeException e) {
            hf.close();
            throw e;
        }
    }

    // ------------------------------------------------------------------ encoding

    /** Token ids of {@code text} with the special tokens the tokenizer adds (BOS for Llama). */
    public long[] encode(String text) {
        return encode(text, true);
    }

    /**
     * Token ids of {@code text}. With {@code addSpecialTokens} the post-processor's tokens are
     * added (as transformers' {@code add_special_tokens=True}), adjusted by
     * {@code add_bos_token}/{@code add_eos_token}; without, only the text's own tokens (special
     * tokens written literally in the text, such as {@code "</s>"}, are still recognized).
     */
    public long[] encode(String text, boolean addSpecialTokens) {
        Objects.requireNonNull(text, "text");
        return adjust(hf.encode(text, addSpecialTokens, false).getIds(), addSpecialTokens);
    }

    /**
     * Token ids of a text with, for each token, the characters of the text it stands for:
     * {@code text.substring(start[i], end[i])} (UTF-16 indices, as Java strings count). A token
     * that covers part of a character (byte-level BPE splits an emoji into several tokens) gets
     * that whole character.
     */
    public record Encoded(long[] ids, int[] start, int[] end) {
        public int length() {
            return ids.length;
        }
    }

    /**
     * {@code encode(text, false)} with the character range of every token (see {@link Encoded}):
     * no special tokens are added, as for the text a chat template writes.
     */
    public Encoded encodeWithOffsets(String text) {
        Objects.requireNonNull(text, "text");
        Encoding e = hf.encode(text, false, false);
        long[] ids = e.getIds();
        ai.djl.huggingface.tokenizers.jni.CharSpan[] spans = e.getCharTokenSpans();
        // the native library counts Unicode code points; Java strings count UTF-16 units
        int[] utf16 = new int[text.codePointCount(0, text.length()) + 1];
        for (int cp = 0, i = 0; cp < utf16.length; cp++) {
            utf16[cp] = i;
            if (i < text.length()) {
                i += Character.charCount(text.codePointAt(i));
            }
        }
        int[] start = new int[ids.length];
        int[] end = new int[ids.length];
        for (int t = 0; t < ids.length; t++) {
            if (spans[t] != null) {
                start[t] = utf16[Math.min(spans[t].getStart(), utf16.length - 1)];
                end[t] = utf16[Math.min(spans[t].getEnd(), utf16.length - 1)];
            }
        }
        return new Encoded(ids, start, end);
    }

    /** The added tokens marked special in tokenizer.json ({@code <|im_end|>}, {@code </s>}, ...), by id. */
    public List<String> specialTokens() {
        return specialIds.stream().sorted().map(id -> byId[id.intValue()]).toList();
    }

    private long[] adjust(long[] ids, boolean addSpecialTokens) {
        if (!addSpecialTokens) {
            return ids;
        }
        long[] out = ids;
        if (bos != null && addBos != null && addBos != processorAddsBos) {
            out = addBos ? prepend(bos, out) : Arrays.copyOfRange(out, 1, out.length);
        }
        if (eos != null && addEos != null && addEos != processorAddsEos) {
            out = addEos ? append(out, eos) : Arrays.copyOf(out, out.length - 1);
        }
        return out;
    }

    /**
     * Whether {@link #encode(String)} puts BOS in front of a text: {@code add_bos_token} of
     * tokenizer_config.json when it says, the post-processor of tokenizer.json otherwise.
     */
    public boolean addsBos() {
        long[] specials = encode("", true);
        return bos != null && specials.length > 0 && specials[0] == bos;
    }

    /** Text of {@code ids}, special tokens included. */
    public String decode(long[] ids) {
        return decode(ids, false);
    }

    /**
     * Text of {@code ids}; with {@code skipSpecialTokens} the special tokens (those marked special
     * in tokenizer.json) are left out.
     *
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        Objects.requireNonNull(ids, "ids");
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= byId.length || byId[(int) ids[i]] == null) {
                throw new IllegalArgumentException("token id " + ids[i] + " at index " + i
                        + " is not in the vocabulary of " + file + " (size " + vocabSize() + ")");
            }
        }
        String text = hf.decode(ids, skipSpecialTokens);
        return cleanUpSpaces ? cleanUpTokenization(text) : text;
    }

    // transformers' clean_up_tokenization, applied when tokenizer_config.json asks for it
    private static String cleanUpTokenization(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m")
                .replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re");
    }

    /**
     * How {@link #encodeBatch(List, BatchOptions)} encodes and pads: {@code BatchOptions.padding(Padding.LEFT)
     * .maxLength(128).truncate(true)}. Defaults: special tokens added, no length limit, padded to the longest row.
     *
     * @param side which side the padding goes on (left for generation, right for training)
     * @param maxLength longest row allowed, in tokens; 0 or less for no limit
     * @param truncate rows longer than {@code maxLength} keep their first {@code maxLength} tokens
     *     (transformers' default truncation side); without it a longer row is an error
     * @param addSpecialTokens as in {@link #encode(String, boolean)}
     * @param padToMaxLength pad every row to {@code maxLength} rather than to the longest row
     */
    public record BatchOptions(Padding side, int maxLength, boolean truncate, boolean addSpecialTokens,
            boolean padToMaxLength) {
        public BatchOptions {
            Objects.requireNonNull(side, "side");
        }

        public static BatchOptions padding(Padding side) {
            return new BatchOptions(side, 0, false, true, false);
        }

        public BatchOptions maxLength(int v) { return new BatchOptions(side, v, truncate, addSpecialTokens, padToMaxLength); }
        public BatchOptions truncate(boolean v) { return new BatchOptions(side, maxLength, v, addSpecialTokens, padToMaxLength); }
        public BatchOptions addSpecialTokens(boolean v) { return new BatchOptions(side, maxLength, truncate, v, padToMaxLength); }
        public BatchOptions padToMaxLength(boolean v) { return new BatchOptions(side, maxLength, truncate, addSpecialTokens, v); }
    }

    /** Encodes {@code texts} with special tokens and pads them on {@code side} to the longest row. */
    public Batch encodeBatch(List<String> texts, Padding side) {
        return encodeBatch(texts, BatchOptions.padding(side));
    }

    /**
     * Encodes {@code texts} and pads them with the pad token, or with the EOS token when the
     * tokenizer has no pad token (the usual choice for Llama models).
     *
     * @throws IllegalArgumentException for a row longer than {@code maxLength} without
     *     {@code truncate}, or {@code padToMaxLength} without a positive {@code maxLength}
     * @throws IllegalStateException when padding is needed and there is neither a pad nor an EOS
     *     token
     */
    public Batch encodeBatch(List<String> texts, BatchOptions options) {
        Padding side = options.side();
        int maxLength = options.maxLength();
        boolean truncate = options.truncate();
        boolean addSpecialTokens = options.addSpecialTokens();
        boolean padToMaxLength = options.padToMaxLength();
        Objects.requireNonNull(texts, "texts");
        if (padToMaxLength && maxLength <= 0) {
            throw new IllegalArgumentException("padToMaxLength needs a positive maxLength, got " + maxLength);
        }
        String[] in = texts.toArray(new String[0]);
        for (int i = 0; i < in.length; i++) {
            if (in[i] == null) {
                throw new NullPointerException("texts[" + i + "] is null");
            }
        }
        Encoding[] enc = in.length == 0 ? new Encoding[0] : hf.batchEncode(in, addSpecialTokens, false);
        long[][] rows = new long[in.length][];
        int longest = 0;
        for (int i = 0; i < in.length; i++) {
            long[] ids = adjust(enc[i].getIds(), addSpecialTokens);
            if (maxLength > 0 && ids.length > maxLength) {
                if (!truncate) {
                    throw new IllegalArgumentException("text " + i + " has " + ids.length
                            + " tokens, more than maxLength " + maxLength + " (set truncate(true) to cut it)");
                }
                ids = Arrays.copyOf(ids, maxLength);
            }
            rows[i] = ids;
            longest = Math.max(longest, ids.length);
        }
        int len = padToMaxLength ? maxLength : longest;
        long[][] ids = new long[in.length][len];
        long[][] mask = new long[in.length][len];
        for (int i = 0; i < in.length; i++) {
            int n = rows[i].length;
            int start = side == Padding.LEFT ? len - n : 0;
            if (n < len) {
                long fill = padOrEos();
                Arrays.fill(ids[i], fill);
            }
            System.arraycopy(rows[i], 0, ids[i], start, n);
            Arrays.fill(mask[i], start, start + n, 1L);
        }
        return new Batch(ids, mask, side);
    }

    private long padOrEos() {
        if (pad != null) {
            return pad;
        }
        if (eos != null) {
            return eos;
        }
        throw new IllegalStateException("cannot pad: " + file
                + " has neither a pad_token nor an eos_token in tokenizer_config.json");
    }

    // ------------------------------------------------------------------ vocabulary

    /**
     * Number of token ids: the highest id in the model vocabulary or the added tokens, plus one
     * (transformers' {@code len(tokenizer)} for a dense vocabulary); the embedding matrix needs
     * at least this many rows.
     */
    public int vocabSize() {
        return byId.length;
    }

    /** The id of {@code token} (a vocabulary entry as written in tokenizer.json, e.g. "Ġthe"). */
    public OptionalLong tokenToId(String token) {
        Long id = vocab.get(token);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    /** The vocabulary entry of {@code id}, as written in tokenizer.json. */
    public Optional<String> idToToken(long id) {
        return id < 0 || id >= byId.length ? Optional.empty() : Optional.ofNullable(byId[(int) id]);
    }

    /** Whether {@code id} is an added token marked special in tokenizer.json. */
    public boolean isSpecial(long id) {
        return specialIds.contains(id);
    }

    public OptionalLong bosId() {
        return opt(bos);
    }

    public OptionalLong eosId() {
        return opt(eos);
    }

    /** The pad token's id; empty when tokenizer_config.json names none (batches then pad with EOS). */
    public OptionalLong padId() {
        return opt(pad);
    }

    public OptionalLong unkId() {
        return opt(unk);
    }

    public Optional<String> bosToken() {
        return Optional.ofNullable(bosToken);
    }

    public Optional<String> eosToken() {
        return Optional.ofNullable(eosToken);
    }

    public Optional<String> padToken() {
        return Optional.ofNullable(padToken);
    }

    public Optional<String> unkToken() {
        return Optional.ofNullable(unkToken);
    }

    /** {@code model_max_length}; empty when absent or transformers' "no limit" (1e30). */
    public OptionalInt modelMaxLength() {
        return modelMaxLength == null ? OptionalInt.empty() : OptionalInt.of(modelMaxLength);
    }

    /** The Jinja {@code chat_template} as written (the one named "default" when it is a list). */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplates.get("default"));
    }

    /** All chat templates by name; a single string template is named "default". */
    public Map<String, String> chatTemplates() {
        return chatTemplates;
    }

    /**
     * The chat template ready to render, as transformers picks it: the only one, or the one named
     * "default" when there are several.
     *
     * @throws TokenizerException when the tokenizer has none (or several and no default), or it
     *     does not compile; the message names the file
     */
    public JinjaChatTemplate jinjaChatTemplate() {
        if (chatTemplates.isEmpty()) {
            throw new TokenizerException(configFile, "has no chat_template (and there is no chat_template.jinja):"
                    + " this tokenizer does not say how to format a conversation; pick a format yourself, e.g."
                    + " ChatTemplate.CHATML");
        }
        if (chatTemplates.size() > 1 && !chatTemplates.containsKey("default")) {
            throw new TokenizerException(configFile, "has several chat templates " + chatTemplates.keySet()
                    + " and none named \"default\": name one with jinjaChatTemplate(name)");
        }
        return jinjaChatTemplate(chatTemplates.containsKey("default") ? "default" : chatTemplates.keySet().iterator().next());
    }

    /** The chat template named {@code name} (see {@link #chatTemplates()}), ready to render. */
    public JinjaChatTemplate jinjaChatTemplate(String name) {
        if (!chatTemplates.containsKey(name)) {
            throw new TokenizerException(configFile, "has no chat template named \"" + name + "\" (it has "
                    + chatTemplates.keySet() + ")");
        }
        return compiledTemplates.computeIfAbsent(name, n -> new JinjaChatTemplate(n, chatTemplates.get(n),
                chatTemplateFiles.get(n), templateVariables, Clock.systemDefaultZone()));
    }

    /**
     * The conversation as the model's chat template writes it, as transformers'
     * {@code apply_chat_template(messages, tokenize=False, add_generation_prompt=...)}: maps with
     * {@code role} and {@code content}. Encode it with {@code encode(text, false)}: the template
     * writes the special tokens it wants (BOS included).
     */
    public String applyChatTemplate(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt) {
        return jinjaChatTemplate().render(messages, addGenerationPrompt);
    }

    /** The tokenizer.json this was loaded from. */
    public Path file() {
        return file;
    }

    @Override
    public void close() {
        hf.close();
    }

    @Override
    public String toString() {
        return "Tokenizer[" + file + ", vocab " + vocabSize() + ", bos " + bosToken + ", eos " + eosToken
                + ", pad " + padToken + "]";
    }

    // ------------------------------------------------------------------ loading helpers

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new TokenizerException(file, "cannot be read: " + e, e);
        }
    }

    private static JsonNode readJson(Path file) {
        return parseJson(file, readBytes(file));
    }

    private static JsonNode parseJson(Path file, byte[] bytes) {
        try {
            JsonNode node = JSON.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw new TokenizerException(file, "is not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new TokenizerException(file, "is not valid JSON: " + e.getOriginalMessage()
                    + (loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")"), e);
        } catch (IOException e) {
            throw new TokenizerException(file, "cannot be read: " + e, e);
        }
    }

    private static HuggingFaceTokenizer createNative(Path file, byte[] bytes) {
        // padding and truncation are done here in Java (both sides, pad id of the config), so the
        // native tokenizer must not do its own, whatever tokenizer.json says.
        Map<String, String> options = Map.of("addSpecialTokens", "true", "padding", "false", "truncation", "false");
        try {
            return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), options);
        } catch (ai.djl.engine.EngineException e) {
            throw new TokenizerException(file, "DJL's native tokenizers library could not be loaded: "
                    + rootMessage(e), e);
        } catch (RuntimeException | IOException e) {
            // the Rust library reports serde errors, e.g. "data did not match any variant of
            // untagged enum ModelUntagged at line 1 column 1355261" for a model it does not know
            throw new TokenizerException(file, "the Hugging Face tokenizers library refuses it: "
                    + rootMessage(e), e);
        }
    }

    private static String rootMessage(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && !sb.toString().contains(c.getMessage())) {
                sb.append(": ").append(c.getMessage());
            }
        }
        return sb.toString();
    }

    private static void readVocab(Path file, JsonNode json, Map<String, Long> vocab, Set<Long> special) {
        JsonNode model = json.get("model");
        JsonNode v = model == null ? null : model.get("vocab");
        if (v == null) {
            throw new TokenizerException(file, "has no model.vocab");
        }
        if (v.isObject()) { // BPE, WordPiece, WordLevel: {"token": id}
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().canConvertToLong() || e.getValue().asLong() < 0) {
                    throw new TokenizerException(file, "model.vocab entry \"" + e.getKey() + "\" has id "
                            + e.getValue() + ", not a non-negative integer");
                }
                vocab.put(e.getKey(), e.getValue().asLong());
            }
        } else if (v.isArray()) { // Unigram: [["piece", score], ...], id = index
            for (int i = 0; i < v.size(); i++) {
                JsonNode p = v.get(i);
                if (!p.isArray() || p.isEmpty() || !p.get(0).isTextual()) {
                    throw new TokenizerException(file, "model.vocab[" + i + "] is not a [piece, score] pair");
                }
                vocab.put(p.get(0).asText(), (long) i);
            }
        } else {
            throw new TokenizerException(file, "model.vocab is neither an object nor an array");
        }
        JsonNode added = json.get("added_tokens");
        if (added != null && added.isArray()) {
            for (JsonNode a : added) {
                if (!a.path("content").isTextual() || !a.path("id").canConvertToLong()) {
                    throw new TokenizerException(file, "added_tokens entry " + a + " lacks content or id");
                }
                long id = a.get("id").asLong();
                vocab.put(a.get("content").asText(), id);
                if (a.path("special").asBoolean(false)) {
                    special.add(id);
                }
            }
        }
        if (vocab.isEmpty()) {
            throw new TokenizerException(file, "has an empty vocabulary");
        }
        if (vocab.values().stream().mapToLong(Long::longValue).max().getAsLong() >= Integer.MAX_VALUE) {
            throw new TokenizerException(file, "has token ids beyond 2^31");
        }
    }

    /** A special token in either form: "text" or {"content": "text", ...}; null when absent/null. */
    private static String specialToken(Path configFile, JsonNode config, String key) {
        JsonNode n = config == null ? null : config.get(key);
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isObject() && n.path("content").isTextual()) {
            return n.get("content").asText();
        }
        throw new TokenizerException(configFile, key + " must be a string or an object with a string \"content\", got " + n);
    }

    private Long idOf(Path configFile, String key, String token) {
        if (token == null) {
            return null;
        }
        Long id = vocab.get(token);
        if (id == null) {
            throw new TokenizerException(configFile, key + " \"" + token + "\" is not in the vocabulary of " + file);
        }
        return id;
    }

    private static Boolean bool(Path configFile, JsonNode config, String key) {
        JsonNode n = config == null ? null : config.get(key);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isBoolean()) {
            throw new TokenizerException(configFile, key + " must be true or false, got " + n);
        }
        return n.asBoolean();
    }

    private static Integer maxLength(Path configFile, JsonNode config) {
        JsonNode n = config == null ? null : config.get("model_max_length");
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isNumber() || n.asDouble() < 1) {
            throw new TokenizerException(configFile, "model_max_length must be a positive number, got " + n);
        }
        double d = n.asDouble();
        return d >= NO_LIMIT || d > Integer.MAX_VALUE ? null : (int) d;
    }

    /**
     * The chat templates by name: {@code chat_template} of tokenizer_config.json (a string, named
     * "default", or a list of {name, template}), overridden as transformers does by a
     * {@code chat_template.jinja} file ("default") and {@code additional_chat_templates/<name>.jinja}
     * files next to it.
     */
    private static Map<String, String> chatTemplates(Path configFile, JsonNode config, Map<String, Path> files) {
        Map<String, String> m = new LinkedHashMap<>();
        JsonNode n = config == null ? null : config.get("chat_template");
        if (n != null && !n.isNull()) {
            if (n.isTextual()) {
                m.put("default", n.asText());
            } else if (n.isArray()) { // [{"name": ..., "template": ...}, ...]
                for (JsonNode t : n) {
                    if (!t.path("name").isTextual() || !t.path("template").isTextual()) {
                        throw new TokenizerException(configFile, "chat_template entries need a string name and template, got " + t);
                    }
                    m.put(t.get("name").asText(), t.get("template").asText());
                }
            } else {
                throw new TokenizerException(configFile, "chat_template must be a string or a list of {name, template}, got " + n.getNodeType());
            }
        }
        m.keySet().forEach(name -> files.put(name, configFile));
        Path folder = configFile.getParent();
        Path jinja = folder.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            m.put("default", new String(readBytes(jinja), StandardCharsets.UTF_8));
            files.put("default", jinja);
        }
        Path extra = folder.resolve("additional_chat_templates");
        if (Files.isDirectory(extra)) {
            try (var list = Files.list(extra)) {
                for (Path f : list.filter(f -> f.getFileName().toString().endsWith(".jinja")).sorted().toList()) {
                    String name = f.getFileName().toString().replaceFirst("\\.jinja$", "");
                    m.put(name, new String(readBytes(f), StandardCharsets.UTF_8));
                    files.put(name, f);
                }
            } catch (IOException e) {
                throw new TokenizerException(extra, "cannot be listed: " + e, e);
            }
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * What transformers passes a chat template besides the messages: its special_tokens_map, the
     * special tokens of tokenizer_config.json that are set, as strings.
     */
    private static Map<String, Object> templateVariables(Path configFile, JsonNode config) {
        Map<String, Object> vars = new LinkedHashMap<>();
        for (String key : List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")) {
            String token = specialToken(configFile, config, key);
            if (token != null) {
                vars.put(key, token);
            }
        }
        JsonNode extra = config == null ? null : config.get("additional_special_tokens");
        if (extra != null && extra.isArray() && !extra.isEmpty()) {
            List<String> tokens = new ArrayList<>();
            for (JsonNode t : extra) {
                if (t.isTextual()) {
                    tokens.add(t.asText());
                } else if (t.isObject() && t.path("content").isTextual()) {
                    tokens.add(t.get("content").asText());
                } else {
                    throw new TokenizerException(configFile, "additional_special_tokens entries must be strings or objects with a string \"content\", got " + t);
                }
            }
            vars.put("additional_special_tokens", List.copyOf(tokens));
        }
        return Collections.unmodifiableMap(vars);
    }

    private static OptionalLong opt(Long v) {
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    private static long[] prepend(long first, long[] rest) {
        long[] out = new long[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    private static long[] append(long[] init, long last) {
        long[] out = Arrays.copyOf(init, init.length + 1);
        out[init.length] = last;
        return out;
    }
}
