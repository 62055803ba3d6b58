package dev.tunelab.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The de-duplication, novelty, check and judge filters on crafted strings. */
class FiltersTest {
    static Candidate c(String completion) {
        return new Candidate("Once upon a time. ", completion);
    }

    @Test
    void ngramDedupDropsNearCopiesAndKeepsNewText() {
        NgramDedup dedup = new NgramDedup(2, 0.5, false);
        Candidate first = c("the cat sat on the mat");
        assertTrue(dedup.passes(first), "nothing kept yet");
        dedup.kept(first);
        // same words, other case and spacing: Jaccard 1
        assertEquals(1.0, dedup.maxSimilarity(c("The  CAT sat on the mat!")), 1e-12);
        assertFalse(dedup.passes(c("The  CAT sat on the mat!")));
        // bigrams {the cat, cat sat, sat on, on the, the rug} share 4 of 6 distinct: 4/6 >= 0.5
        assertEquals(4.0 / 6, dedup.maxSimilarity(c("the cat sat on the rug")), 1e-12);
        assertFalse(dedup.passes(c("the cat sat on the rug")));
        // {a dog, dog ran, ran on, on the, the mat}: shares "on the", "the mat": 2 / 8
        assertEquals(2.0 / 8, dedup.maxSimilarity(c("a dog ran on the mat")), 1e-12);
        assertTrue(dedup.passes(c("a dog ran on the mat")));
    }

    @Test
    void ngramDedupComparesCompletionsUnlessToldToReadTheWholeText() {
        NgramDedup completions = new NgramDedup(3, 0.5, false);
        NgramDedup whole = new NgramDedup(3, 0.5, true);
        Candidate a = new Candidate("one two three four five six seven", " red fish");
        Candidate b = new Candidate("one two three four five six seven", " blue bird");
        completions.kept(a);
        whole.kept(a);
        assertTrue(completions.passes(b), "different completions");
        assertEquals(5.0 / 9, whole.maxSimilarity(b), 1e-12, "5 shared 3-grams of 7 each");
        assertFalse(whole.passes(b), "the shared prompt dominates the whole text");
    }

    @Test
    void rougeNoveltyRejectsInstructionsTooCloseToThePool() {
        RougeNovelty novelty = new RougeNovelty(0.7, List.of("Write a story about a cat who finds a ball."));
        assertEquals(1, novelty.poolSize());
        // 9 of 10 tokens in order: LCS 9, P = R = 0.9
        Candidate close = new Candidate("", "Write a story about a dog who finds a ball.");
        assertEquals(0.9, novelty.maxRougeL(close.completion()), 1e-12);
        assertFalse(novelty.passes(close));
        Candidate far = new Candidate("", "List three colours of the sea.");
        assertTrue(novelty.passes(far));
        novelty.kept(far);
        assertEquals(2, novelty.poolSize());
        assertFalse(novelty.passes(new Candidate("", "List three colours of the sky.")), "now too close to a kept one");
    }

    @Test
    void checkAndJudgeFiltersKeepAndDropAsTheyShould() {
        Filter length = Filter.of(Checks.words(3, 5));
        assertEquals("length(3..5 words)", length.name());
        assertTrue(length.passes(new Candidate("Tim ran", " home.")));
        assertFalse(length.passes(new Candidate("Tim", " ran.")));
        Filter judge = Filter.atLeast("letters", (prompt, completion) -> completion.length(), 4);
        assertTrue(judge.passes(c("abcd")));
        assertFalse(judge.passes(c("abc")));
    }
}
