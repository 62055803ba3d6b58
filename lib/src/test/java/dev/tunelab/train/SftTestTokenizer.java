package dev.tunelab.train;

import dev.tunelab.io.ChatTokenizers;
import dev.tunelab.io.Tokenizer;
import java.nio.file.Path;
import java.util.List;

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
        return ChatTokenizers.create(dir, List.of(SPECIALS), "<s>", "</s>", "<pad>", true, null);
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
}
