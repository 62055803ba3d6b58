package dev.tunelab.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Tokenizers for the chat-template tests, written to a folder on the fly: one token per byte
 * (GPT-2's byte-to-character table, no merges), so every character of an ASCII text is one token,
 * plus the special tokens given (ids 0..k-1; byte b has id k + b), a tokenizer_config.json with
 * bos/eos and a chat template, and the real template texts of test resource chat_templates/.
 */
public final class ChatTokenizers {
    private ChatTokenizers() {}

    /** Special tokens, BOS, EOS and template of one model family. */
    public record Family(String templateFile, List<String> specials, String bos, String eos) {
        public String template() {
            return ChatTokenizers.template(templateFile);
        }
    }

    public static final Family LLAMA3 = new Family("llama-3-8b-instruct.jinja",
            List.of("<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"),
            "<|begin_of_text|>", "<|eot_id|>");
    public static final Family LLAMA31 = new Family("llama-3.1-8b-instruct.jinja", LLAMA3.specials(), LLAMA3.bos(), LLAMA3.eos());
    public static final Family LLAMA32 = new Family("llama-3.2-3b-instruct.jinja", LLAMA3.specials(), LLAMA3.bos(), LLAMA3.eos());
    public static final Family MISTRAL01 = new Family("mistral-7b-instruct-v0.1.jinja", List.of("<unk>", "<s>", "</s>"), "<s>", "</s>");
    public static final Family MISTRAL03 = new Family("mistral-7b-instruct-v0.3.jinja",
            List.of("<unk>", "<s>", "</s>", "[INST]", "[/INST]"), "<s>", "</s>");
    public static final Family QWEN25 = new Family("qwen2.5-instruct.jinja",
            List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"), null, "<|im_end|>");
    public static final Family ZEPHYR = new Family("zephyr-7b-beta.jinja", List.of("<unk>", "<s>", "</s>"), "<s>", "</s>");
    public static final Family SMOLLM2 = new Family("smollm2-instruct.jinja",
            List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"), "<|im_start|>", "<|im_end|>");

    /** The text of test resource chat_templates/{@code file}, byte for byte. */
    public static String template(String file) {
        try (InputStream in = ChatTokenizers.class.getResourceAsStream("/chat_templates/" + file)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource chat_templates/" + file);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A tokenizer of {@code family} with its real template; {@code addBos} as add_bos_token. */
    public static Tokenizer create(Path dir, Family family, boolean addBos) {
        return create(dir, family.specials(), family.bos(), family.eos(), addBos, family.template());
    }

    public static Tokenizer create(Path dir, List<String> specials, String bos, String eos, boolean addBos, String template) {
        return create(dir, specials, bos, eos, null, addBos, template);
    }

    /** A byte-level tokenizer with {@code specials} first; bos, pad and template may be null. */
    public static Tokenizer create(Path dir, List<String> specials, String bos, String eos, String pad, boolean addBos,
            String template) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < specials.size(); i++) {
            added.addObject().put("id", i).put("content", specials.get(i)).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(json));
        root.putNull("post_processor");
        root.set("decoder", byteLevel(json));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        model.putNull("unk_token").putNull("continuing_subword_prefix").putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < specials.size(); i++) {
            vocab.put(specials.get(i), i);
        }
        char[] byteChars = byteToChar();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(byteChars[b]), specials.size() + b);
        }
        model.putArray("merges");

        ObjectNode config = json.createObjectNode();
        if (bos != null) {
            config.put("bos_token", bos);
        }
        config.put("eos_token", eos).put("add_bos_token", addBos);
        if (pad != null) {
            config.put("pad_token", pad);
        }
        if (template != null) {
            config.put("chat_template", template);
        }
        try {
            Files.createDirectories(dir);
            json.writeValue(dir.resolve("tokenizer.json").toFile(), root);
            json.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Tokenizer.load(dir);
    }

    private static ObjectNode byteLevel(ObjectMapper json) {
        return json.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
    }

    // GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to code points from 256 up
    private static char[] byteToChar() {
        char[] out = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out[b] = printable ? (char) b : (char) (256 + n++);
        }
        return out;
    }
}
