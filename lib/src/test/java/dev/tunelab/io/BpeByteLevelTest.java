package dev.tunelab.io;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class BpeByteLevelTest {

    @Test
    void byteTableIsGpt2s() {
        Set<Character> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = BpeByteLevel.byteToChar(b);
            assertTrue(seen.add(c), "byte " + b + " shares its character");
            assertFalse(Character.isWhitespace(c) || Character.isISOControl(c), "byte " + b + " is not printable");
            assertEquals(b, BpeByteLevel.charToByte(c));
        }
        // the familiar symbols of GPT-2 vocabularies
        assertEquals('Ġ', BpeByteLevel.byteToChar(' '));
        assertEquals('Ċ', BpeByteLevel.byteToChar('\n'));
        assertEquals('ĉ', BpeByteLevel.byteToChar('\t'));
        assertEquals('Ā', BpeByteLevel.byteToChar(0));
        assertEquals('A', BpeByteLevel.byteToChar('A'));
        assertEquals('é', BpeByteLevel.byteToChar(0xE9));
        assertEquals('Ń', BpeByteLevel.byteToChar(0xAD), "soft hyphen, the last of the 68 remapped bytes");
        assertEquals(-1, BpeByteLevel.charToByte('中'));
        assertEquals("ĠcafÃ©", BpeByteLevel.encode(" café"));
        assertEquals(" café", BpeByteLevel.decode("ĠcafÃ©"));
    }

    @Test
    void preTokenizerSplitsAsGpt2() {
        assertEquals(List.of("Once", " upon", " a", " time", ",", " Lily", "'s", " dog", " ran", "!"),
                BpeByteLevel.preTokenize("Once upon a time, Lily's dog ran!"));
        // white space before a word leaves its last character to the word's match, which takes it
        // only if it is a space: "\n\nc" splits as "\n", "\n", "c"
        assertEquals(List.of("a", "  ", " b", "\n", "\n", "c", "\t", " d"), BpeByteLevel.preTokenize("a   b\n\nc\t d"));
        assertEquals(List.of("x", " 123", " ...", " 😊😊", " 中文"), BpeByteLevel.preTokenize("x 123 ... 😊😊 中文"));
        assertEquals(List.of("end", " \n"), BpeByteLevel.preTokenize("end \n"), "trailing white space stays whole");
        assertEquals(List.of(), BpeByteLevel.preTokenize(""));
        String s = "I'm here.\n\n  She said: \"we'll see\"\t\u00a0ok";
        assertEquals(s, String.join("", BpeByteLevel.preTokenize(s)), "the words cover the text");
    }
}
