package dev.tunelab.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TextStreamTest {
    /** A toy decoder: token i decodes to PIECES[i]; "\uFFFD" stands for half a UTF-8 character. */
    static final Map<Long, String> PIECES = Map.of(1L, "Hello", 2L, " wor", 3L, "ld", 4L, "\n", 5L, "\nThe", 6L, "!");

    static String decode(long[] ids) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            // tokens 7 then 8 are the two halves of "é": alone, 7 decodes to the replacement character
            if (ids[i] == 7) {
                s.append(i + 1 < ids.length && ids[i + 1] == 8 ? "é" : "\uFFFD");
            } else if (ids[i] != 8) {
                s.append(PIECES.get(ids[i]));
            }
        }
        return s.toString();
    }

    @Test
    void holdsBackAHalfCharacterUntilItsSecondHalfArrives() {
        TextStream t = new TextStream(TextStreamTest::decode, List.of());
        assertEquals("Hello", t.add(1));
        assertEquals("", t.add(7));
        assertEquals("é", t.add(8));
        assertEquals(" wor", t.add(2));
        assertEquals("", t.finish("Hello" + "é" + " wor"));
    }

    @Test
    void holdsBackWhatMayStartAStopStringAndReleasesItWhenItDoesNot() {
        TextStream t = new TextStream(TextStreamTest::decode, List.of("\n\n", "world!"));
        assertEquals("Hello", t.add(1));
        assertEquals(" ", t.add(2)); // "wor" may begin "world!"
        assertEquals("", t.add(3)); // "world" still may
        assertEquals("world", t.add(4)); // "world\n" cannot; "\n" may begin "\n\n"
        assertEquals("", t.sent().substring("Hello world".length()));
        // the generator then meets "\n\n" and cuts the text before it: the held "\n" never goes out
        assertEquals("", t.finish("Hello world"));
        assertEquals("Hello world", t.sent());
    }
}
