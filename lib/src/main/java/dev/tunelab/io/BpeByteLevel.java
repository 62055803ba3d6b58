package dev.tunelab.io;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The byte-level half of GPT-2's tokenizer, as the Hugging Face {@code ByteLevel} pre-tokenizer
 * and decoder do it: text is split into words with GPT-2's regular expression, and each word's
 * UTF-8 bytes are written as printable characters so that every byte sequence is a string of
 * vocabulary symbols (no unknown token is ever needed).
 */
public final class BpeByteLevel {
    private BpeByteLevel() {}

    /**
     * GPT-2's pre-tokenizer pattern (Radford et al. 2019), the one {@code ByteLevel} uses with
     * {@code use_regex: true}. Unicode-aware {@code \s} matches the Oniguruma engine of the Rust
     * library (it treats U+00A0, U+3000, ... as spaces too).
     */
    static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        // GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68
        // bytes (controls, space, DEL, NBSP, soft hyphen) take the code points 256, 257, ... in
        // byte order, so the space byte 0x20 becomes 'Ġ' (U+0120).
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    /** The printable character that stands for {@code b} (0..255). */
    public static char byteToChar(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte that {@code c} stands for, or -1 when {@code c} is not a byte-level character. */
    public static int charToByte(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** {@code text}'s UTF-8 bytes, one byte-level character each. */
    public static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /**
     * Appends the bytes that the byte-level characters of {@code symbols} stand for.
     *
     * @throws IllegalArgumentException for a character outside the byte-level alphabet
     */
    static void appendBytes(String symbols, ByteArrayOutputStream out) {
        for (int i = 0; i < symbols.length(); i++) {
            int b = charToByte(symbols.charAt(i));
            if (b < 0) {
                throw new IllegalArgumentException("'" + symbols + "' is not a byte-level string (char U+"
                        + String.format("%04X", (int) symbols.charAt(i)) + ")");
            }
            out.write(b);
        }
    }

    /** The text whose byte-level form is {@code symbols}; invalid UTF-8 becomes U+FFFD, as in the HF decoder. */
    public static String decode(String symbols) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(symbols.length());
        appendBytes(symbols, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The words of {@code text} as the GPT-2 pattern splits it (raw text, not byte-level). */
    public static List<String> preTokenize(String text) {
        List<String> words = new ArrayList<>();
        Matcher m = GPT2_SPLIT.matcher(text);
        int last = 0;
        while (m.find()) {
            // the pattern covers every character; a gap would only come from a lone surrogate
            if (m.start() > last) {
                words.add(text.substring(last, m.start()));
            }
            words.add(m.group());
            last = m.end();
        }
        if (last < text.length()) {
            words.add(text.substring(last));
        }
        return words;
    }
}
