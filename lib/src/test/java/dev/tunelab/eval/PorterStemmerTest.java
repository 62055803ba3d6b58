package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PorterStemmerTest {

    /**
     * porter_nltk.tsv was written by porter_fixture.py (beside it) with NLTK 3.8's PorterStemmer in its
     * default mode: every distinct word of the shared Alpaca and TinyStories samples plus the examples of
     * Porter's paper and NLTK's irregular forms.
     */
    @Test
    void agreesWithNltkOnEveryWordOfTheFixture() throws IOException {
        List<String> mismatches = new ArrayList<>();
        int count = 0;
        try (var in = getClass().getResourceAsStream("porter_nltk.tsv");
                var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String[] wordStem = line.split("\t");
                count++;
                String got = PorterStemmer.stem(wordStem[0]);
                if (!got.equals(wordStem[1])) {
                    mismatches.add(wordStem[0] + " -> " + got + " (NLTK: " + wordStem[1] + ")");
                }
            }
        }
        assertTrue(count > 12_000, "fixture has " + count + " words");
        assertEquals(List.of(), mismatches.subList(0, Math.min(20, mismatches.size())), mismatches.size() + " mismatches");
    }

    @Test
    void examplesFromPortersPaperAndNltk() {
        // Porter (1980), step 1b and step 4 examples.
        assertEquals("motor", PorterStemmer.stem("motoring"));
        assertEquals("hop", PorterStemmer.stem("hopping"));
        assertEquals("file", PorterStemmer.stem("filing"));
        assertEquals("adjust", PorterStemmer.stem("adjustment"));
        // NLTK's test_stem.py test_oed_bug: "oed" stems to "o".
        assertEquals("o", PorterStemmer.stem("oed"));
        // NLTK extensions documented in nltk/stem/porter.py: dies -> die, flies -> fli, enjoy stays.
        assertEquals("die", PorterStemmer.stem("dies"));
        assertEquals("fli", PorterStemmer.stem("flies"));
        assertEquals("enjoy", PorterStemmer.stem("enjoy"));
        // Lower-cased first (NLTK's to_lowercase=True default).
        assertEquals("run", PorterStemmer.stem("Running"));
    }
}
