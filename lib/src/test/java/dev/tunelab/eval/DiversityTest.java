package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class DiversityTest {

    @Test
    void distinctNCountsDistinctOverTotalNGrams() {
        // Closed form: "the cat the cat" + "the dog": unigrams the,cat,the,cat,the,dog -> 3 distinct / 6;
        // bigrams (the cat)(cat the)(the cat)(the dog) -> 3 distinct / 4.
        List<String> texts = List.of("the cat the cat", "the dog");
        assertEquals(0.5, Diversity.distinctN(texts, 1), 1e-12);
        assertEquals(0.75, Diversity.distinctN(texts, 2), 1e-12);
        assertEquals(1.0, Diversity.distinctN(List.of("a b c d"), 3), 1e-12);
        assertEquals(0.0, Diversity.distinctN(List.of("a"), 2), 0); // no bigram at all
        assertThrows(IllegalArgumentException.class, () -> Diversity.distinctN(texts, 0));
    }

    @Test
    void selfBleuByHand() {
        // Identical texts: every text is exactly one of its references -> 100.
        assertEquals(100.0, Diversity.selfBleu(List.of("the cat sat on the mat", "the cat sat on the mat", "the cat sat on the mat")), 1e-9);
        // No shared token -> 0.
        assertEquals(0.0, Diversity.selfBleu(List.of("alpha beta", "gamma delta")), 0);
        // "the cat sat" vs ["the cat sat down"]: precisions 3/3, 2/2, 1/1 (effective order 3), BP = exp(1 - 4/3).
        double first = 100 * Math.exp(1 - 4.0 / 3);
        // "the cat sat down" vs ["the cat sat"]: 3/4, 2/3, 1/2, and 0/1 smoothed by exp to 1/2; BP = 1.
        double second = 100 * Math.pow(0.75 * (2 / 3.0) * 0.5 * 0.5, 0.25);
        assertEquals((first + second) / 2, Diversity.selfBleu(List.of("the cat sat", "the cat sat down")), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> Diversity.selfBleu(List.of("one")));
        // The linear-time computation equals the direct one: each text's sentence BLEU against all the others.
        List<String> texts = List.of("the cat sat on the mat", "a cat sat on a mat .", "the dog sat", "the cat sat on the mat",
                "dogs and cats , sitting on mats", "the the the cat");
        double direct = 0;
        for (int i = 0; i < texts.size(); i++) {
            List<String> others = new java.util.ArrayList<>(texts);
            String hyp = others.remove(i);
            direct += Bleu.sentence(hyp, others).score();
        }
        assertEquals(direct / texts.size(), Diversity.selfBleu(texts), 1e-9);
    }
}
