package dev.tunelab.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.io.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE tokenizer as llama.cpp's GGUF stores it ({@code tokenizer.ggml.model = "gpt2"}):
 * every token string by id, a type per token, the merge rules, and the name of the pre-tokenizer
 * regex llama.cpp applies before BPE.
 *
 * <p>Token types follow {@code get_vocab_base} in convert_hf_to_gguf.py: NORMAL (1) for the BPE
 * vocabulary, CONTROL (3) for special added tokens and added tokens that look special
 * ({@code <|...|>}), USER_DEFINED (4) for other added tokens, UNUSED (5) for ids the tokenizer
 * lacks below the model's vocab_size (named {@code [PAD<id>]}).
 *
 * <p>Only what llama.cpp reproduces exactly is accepted: a BPE model, no normalizer, a
 * {@code ByteLevel} decoder, no byte fallback, no subword prefix or suffix, and one of four
 * pre-tokenizers llama.cpp knows by name (llama-vocab.cpp): GPT-2's ({@code ByteLevel} with its
 * regex: {@code "gpt-2"}), SmolLM's (single digits, then GPT-2's regex: {@code "smollm"}),
 * Llama 3's (its regex in a {@code Split}, then {@code ByteLevel} without regex, with
 * {@code ignore_merges}: {@code "llama-bpe"}) and Qwen2's (the same form with single digits and
 * without {@code ignore_merges}: {@code "qwen2"}). Anything else is refused with the field named.
 *
 * <p>One exception to "no normalizer": Qwen2's tokenizer.json has an NFC normalizer, which
 * convert_hf_to_gguf.py drops and llama.cpp does not apply. Text already in NFC (what keyboards,
 * the web and most data sets hold) gets the same ids; a decomposed "e" + U+0301 gets other ids in
 * llama.cpp than in transformers. The export accepts it for the Qwen2 pre-tokenizer only, as the
 * converter does for every Qwen2 model.
 */
record GgufVocab(List<String> tokens, int[] types, List<String> merges, String pre) {
    static final int NORMAL = 1, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads the tokenizer's {@code tokenizer.json}, padded to {@code vocabSize} ids. */
    static GgufVocab of(Tokenizer tokenizer, int vocabSize) {
        Path file = tokenizer.file();
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read for GGUF export: " + e.getMessage(), e);
        }
        JsonNode model = root.path("model");
        require(file, "model.type", model.path("type").asText(""), "BPE");
        String pre = preTokenizer(file, root.path("pre_tokenizer"));
        // llama.cpp skips merges for a word already in the vocabulary exactly for Llama 3's pre-tokenizer.
        boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);
        if (ignoreMerges != pre.equals("llama-bpe")) {
            refuse(file, "model.ignore_merges", String.valueOf(ignoreMerges), pre.equals("llama-bpe")
                    ? "true with Llama 3's pre-tokenizer" : "false (llama.cpp ignores merges only for Llama 3's pre-tokenizer)");
        }
        boolean qwenNfc = pre.equals("qwen2") && root.path("normalizer").path("type").asText("").equals("NFC");
        if (!root.path("normalizer").isNull() && !root.path("normalizer").isMissingNode() && !qwenNfc) {
            refuse(file, "normalizer", root.path("normalizer").path("type").asText("?"), "none (llama.cpp's gpt2 tokenizer normalizes nothing)");
        }
        require(file, "decoder.type", root.path("decoder").path("type").asText("none"), "ByteLevel");
        if (model.path("byte_fallback").asBoolean(false)) {
            refuse(file, "model.byte_fallback", "true", "false");
        }
        for (String field : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            if (!model.path(field).asText("").isEmpty()) {
                refuse(file, "model." + field, model.path(field).asText(), "none");
            }
        }

        Map<Long, JsonNode> added = new HashMap<>();
        root.path("added_tokens").forEach(a -> added.put(a.path("id").asLong(), a));
        if (tokenizer.vocabSize() > vocabSize) {
            throw new IllegalArgumentException(file + ": the tokenizer has ids up to " + (tokenizer.vocabSize() - 1)
                    + " but the model's vocab_size is " + vocabSize + "; GGUF needs one token per embedding row");
        }
        List<String> tokens = new ArrayList<>(vocabSize);
        int[] types = new int[vocabSize];
        for (int id = 0; id < vocabSize; id++) {
            String token = tokenizer.idToToken(id).orElse(null);
            JsonNode a = added.get((long) id);
            if (token == null) {
                tokens.add("[PAD" + id + "]");
                types[id] = UNUSED;
            } else {
                tokens.add(token);
                types[id] = a == null ? NORMAL
                        : a.path("special").asBoolean(false) || looksSpecial(token) ? CONTROL : USER_DEFINED;
            }
        }

        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            // Older files write "a b", newer ones ["a", "b"]; GGUF stores "a b".
            merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
        return new GgufVocab(tokens, types, merges, pre);
    }

    /** Llama 3's pre-tokenizer regex as its tokenizer.json spells it (llama.cpp's LLAMA_VOCAB_PRE_TYPE_LLAMA3 adapts it). */
    static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
            + " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /**
     * Qwen2's pre-tokenizer regex as its tokenizer.json spells it: Llama 3's with single digits
     * (llama.cpp's LLAMA_VOCAB_PRE_TYPE_QWEN2 adapts it).
     */
    static final String QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|"
            + " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** The llama.cpp pre-tokenizer name for this pre_tokenizer, or a refusal naming it. */
    private static String preTokenizer(Path file, JsonNode p) {
        String type = p.path("type").asText("none");
        if (type.equals("ByteLevel")) {
            byteLevel(file, "pre_tokenizer", p, true);
            return "gpt-2";
        }
        JsonNode steps = p.path("pretokenizers");
        if (type.equals("Sequence") && steps.size() == 2) {
            JsonNode first = steps.get(0);
            String firstType = first.path("type").asText("none");
            if (firstType.equals("Digits")) {
                if (!first.path("individual_digits").asBoolean(false)) {
                    refuse(file, "pre_tokenizer.pretokenizers[0].individual_digits", "false", "true (SmolLM's single digits)");
                }
                byteLevel(file, "pre_tokenizer.pretokenizers[1]", steps.get(1), true);
                return "smollm";
            }
            if (firstType.equals("Split")) {
                String regex = first.path("pattern").path("Regex").asText("");
                if (!regex.equals(LLAMA3_REGEX) && !regex.equals(QWEN2_REGEX)) {
                    refuse(file, "pre_tokenizer.pretokenizers[0].pattern", "'" + regex + "'", "Llama 3's or Qwen2's regex");
                }
                if (!first.path("behavior").asText("").equals("Isolated") || first.path("invert").asBoolean(false)) {
                    refuse(file, "pre_tokenizer.pretokenizers[0]", "behavior " + first.path("behavior").asText("?")
                            + ", invert " + first.path("invert").asBoolean(false), "behavior Isolated, invert false");
                }
                byteLevel(file, "pre_tokenizer.pretokenizers[1]", steps.get(1), false);
                return regex.equals(QWEN2_REGEX) ? "qwen2" : "llama-bpe";
            }
        }
        refuse(file, "pre_tokenizer", describe(p), "ByteLevel (GPT-2), Sequence[Digits, ByteLevel] (SmolLM)"
                + ", Sequence[Split(Llama 3 regex), ByteLevel] (Llama 3) or Sequence[Split(Qwen2 regex), ByteLevel] (Qwen2)");
        return null;
    }

    /** A ByteLevel step: no prefix space, and GPT-2's regex on or off as the form needs. */
    private static void byteLevel(Path file, String where, JsonNode p, boolean regex) {
        require(file, where + ".type", p.path("type").asText("none"), "ByteLevel");
        if (p.path("add_prefix_space").asBoolean(false)) {
            refuse(file, where + ".add_prefix_space", "true", "false");
        }
        if (p.path("use_regex").asBoolean(true) != regex) {
            refuse(file, where + ".use_regex", String.valueOf(!regex), String.valueOf(regex));
        }
    }

    private static String describe(JsonNode p) {
        if (p.path("type").asText("").equals("Sequence")) {
            List<String> types = new ArrayList<>();
            p.path("pretokenizers").forEach(x -> types.add(x.path("type").asText("?")));
            return "Sequence" + types;
        }
        return p.path("type").asText("none");
    }

    /** convert_hf_to_gguf.py's does_token_look_special: added tokens that act as control tokens. */
    private static boolean looksSpecial(String token) {
        return token.equals("<pad>") || token.equals("<mask>")
                || (token.startsWith("<|") && token.endsWith("|>"))
                || (token.startsWith("<unused") && token.endsWith(">"));
    }

    private static void require(Path file, String field, String got, String expected) {
        if (!got.equals(expected)) {
            refuse(file, field, got, expected);
        }
    }

    private static void refuse(Path file, String field, String got, String expected) {
        throw new IllegalArgumentException(file + ": GGUF export writes byte-level BPE tokenizers as llama.cpp's \"gpt2\" model; "
                + field + " is " + got + ", expected " + expected);
    }
}
