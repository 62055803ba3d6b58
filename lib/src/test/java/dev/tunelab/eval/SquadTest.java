package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SquadTest {

    @Test
    void metricCardExamples() {
        // Hugging Face evaluate, metrics/squad/README.md (the official v1.1 script wrapped):
        // perfect match {'exact_match': 100.0, 'f1': 100.0}; no match {'exact_match': 0.0, 'f1': 0.0};
        // partial match {'exact_match': 66.66666666666667, 'f1': 66.66666666666667}.
        assertEquals(new Squad.SquadScore(100.0, 100.0), Squad.score(List.of("1976"), List.of(List.of("1976"))));
        assertEquals(new Squad.SquadScore(0.0, 0.0), Squad.score(List.of("1999"), List.of(List.of("1976"))));
        Squad.SquadScore partial = Squad.score(List.of("1976", "Beyonce", "climate change"),
                List.of(List.of("1976"), List.of("Beyoncé and Bruno Mars"), List.of("climate change")));
        assertEquals(66.66666666666667, partial.exactMatch(), 1e-9);
        assertEquals(66.66666666666667, partial.f1(), 1e-9); // "beyonce" is not "beyoncé": no common token
    }

    @Test
    void normalisationFollowsTheScript() {
        // lower, strip ASCII punctuation, drop a/an/the as words, collapse whitespace.
        assertEquals("cat sat on mat", Squad.normalize("The  cat sat on a mat."));
        assertEquals("anthem theory", Squad.normalize("An anthem, the theory!"));
        assertEquals("knowlescarter", Squad.normalize("Knowles-Carter"));
        assertEquals(1.0, Squad.exactMatch("the Denver Broncos!", List.of("Denver Broncos")), 0);
    }

    @Test
    void tokenF1IsTheHarmonicMeanOfTokenPrecisionAndRecall() {
        // Closed form: prediction "denver broncos team" vs "denver broncos": 2 common, P = 2/3, R = 1 -> F1 = 0.8.
        assertEquals(0.8, Squad.f1("Denver Broncos team", "the Denver Broncos"), 1e-12);
        // Repeated tokens count once per occurrence in both (Counter intersection): "a a b" vs "b b":
        // after normalisation "b" vs "b b" (articles removed): P = 1, R = 1/2, F1 = 2/3.
        assertEquals(2 / 3.0, Squad.f1("a a b", "b b"), 1e-12);
        // Best over several answers.
        assertEquals(1.0, Squad.f1("Bruno Mars", List.of("Beyonce", "Bruno Mars")), 0);
        assertThrows(IllegalArgumentException.class, () -> Squad.f1("x", List.of()));
    }
}
