package dev.tunelab.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.io.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A byte-level tokenizer for the SFT tests, written to a folder on the fly: one token per byte
 * (GPT-2's byte-to-character table, no merges), so any text encodes and decodes exactly, plus the
 * special tokens {@code <pad>}=0, {@code <s>}=1, {@code </s>}=2, {@code <|im_start|>}=3,
 * {@code <|im_end|>}=4. Byte b has id {@code 5 + b}; BOS is added to every sequence.
 */
public final class SftTestTokenizer {
    public static final int VOCAB = 5 + 256;
    static final String[] SPECIALS = {"<pad>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"};

    private SftTestTokenizer() {}

    public static Tokenizer create(Path dir) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIALS.length; i++) {
            added.addObject().put("id", i).put("content", SPECIALS[i]).put("single_word", false).put("lstrip", false)
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
        for (int i = 0; i < SPECIALS.length; i++) {
            vocab.put(SPECIALS[i], i);
        }
        char[] byteChars = byteToChar();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(byteChars[b]), 5 + b);
        }
        model.putArray("merges");

        ObjectNode config = json.createObjectNode();
        config.put("bos_token", "<s>").put("eos_token", "</s>").put("pad_token", "<pad>").put("add_bos_token", true);
        try {
            Files.createDirectories(dir);
            json.writeValue(dir.resolve("tokenizer.json").toFile(), root);
            json.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Tokenizer.load(dir);
    }

    /** Token id of each byte of {@code text} (UTF-8), without BOS. */
    static long[] bytes(String text) {
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long[] ids = new long[b.length];
        for (int i = 0; i < b.length; i++) {
            ids[i] = 5 + (b[i] & 0xff);
        }
        return ids;
    }

    private static ObjectNode byteLevel(ObjectMapper json) {
        return json.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
    }

    // GPT-2's table: printable bytes map to themselves, the others to code points from 256 up.
    private static char[] byteToChar() {
        char[] out = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out[b] = printable ? (char) b : (char) next++;
        }
        return out;
    }
}
