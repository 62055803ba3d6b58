package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.data.DataFormatException;
import dev.tunelab.data.Lexicon;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The story judge on hand-checked texts. Each expected value is worked out by hand from the
 * scores in datasets/lexicon/story-sentiment.txt (quoted in the comments) and VADER's negation
 * factor -0.74.
 */
class SentimentJudgeTest {
    static final SentimentJudge JUDGE = SentimentJudge.stories();

    @Test
    void theCommittedLexiconIsSmallHandWrittenAndInRange() {
        Lexicon lex = JUDGE.lexicon();
        assertTrue(lex.size() >= 150 && lex.size() <= 300, "size " + lex.size());
        lex.scores().forEach((term, s) -> assertTrue(s >= -3 && s <= 3 && s != 0, term + " " + s));
        long positive = lex.scores().values().stream().filter(s -> s > 0).count();
        long negative = lex.size() - positive;
        assertTrue(positive > 50 && negative > 50, positive + " positive, " + negative + " negative");
    }

    @Test
    void sumsTheScoresOfTheWordsItKnows() {
        // happy 3, smiled 2, hugged 2; "Lily", "was", "she", "and", "her", "mom" are not in the lexicon.
        var v = JUDGE.judge("Lily was happy. She smiled and hugged her mom.");
        assertEquals(7.0, v.score(), 1e-12);
        assertEquals(9, v.words());
        assertEquals(List.of("happy", "smiled", "hugged"), v.hits().stream().map(SentimentJudge.Hit::term).toList());
        assertEquals(7.0 / 9, v.perWord(), 1e-12);
        assertEquals(0.0, JUDGE.score("The ball is red."), 0.0);
    }

    @Test
    void aNegationTurnsAndDampsTheTermAfterIt() {
        assertEquals(3 * -0.74, JUDGE.score("Tom was not happy."), 1e-12);       // happy 3
        assertEquals(-2 * -0.74, JUDGE.score("Tom didn't cry."), 1e-12);         // cry -2
        assertEquals(-2 * -0.74, JUDGE.score("She wasn’t sad."), 1e-12);         // sad -2, curly apostrophe
        assertEquals(-2 * -0.74 + 2, JUDGE.score("Lily was not sad. She smiled."), 1e-12); // smiled 2
    }

    @Test
    void negationReachesThreeWordsBackAndStopsAtTheSentenceEnd() {
        // "not" is 4 words before "happy" (at, all, very in between): outside the window.
        assertEquals(3.0, JUDGE.score("Lily was not at all very happy."), 1e-12);
        assertEquals(3 * -0.74, JUDGE.score("Lily was not very happy."), 1e-12);
        assertEquals(3.0, JUDGE.score("It was not big. Happy Lily ran."), 1e-12);
    }

    @Test
    void aSmallStoryAddsUp() {
        // lost -2, sad -2, cried -2, friend 1, smiled 2, thank 2; "found" is not in the lexicon.
        String story = "Ben lost his kite. He was sad and cried. Then his friend found it. Ben smiled and said thank you.";
        var v = JUDGE.judge(story);
        assertEquals(-1.0, v.score(), 1e-12);
        assertEquals(20, v.words());
        assertTrue(v.mimeBundle().get("text/html").contains("cried"));
    }

    @Test
    void theStoryJudgeReadsTheCommittedLexiconFromTheClassPath() {
        // Maven runs these tests in lib/; the packaged resource is the file in datasets/.
        Lexicon committed = SentimentJudge.load(Path.of("../datasets/lexicon/story-sentiment.txt")).lexicon();
        assertEquals(committed.scores(), JUDGE.lexicon().scores());
        assertEquals("story-sentiment", JUDGE.lexicon().name());
        var e = assertThrows(IllegalArgumentException.class, () -> SentimentJudge.loadResource("/no/such/lexicon.txt"));
        assertTrue(e.getMessage().contains("/no/such/lexicon.txt"), e.getMessage());
    }

    @Test
    void aBadLexiconLineFromAStreamNamesItsSourceAndLine() {
        var in = new ByteArrayInputStream("happy\t3\nhappy\t2\n".getBytes(StandardCharsets.UTF_8));
        var e = assertThrows(DataFormatException.class, () -> Lexicon.read(in, "lex.txt"));
        assertTrue(e.getMessage().contains("lex.txt:2") && e.getMessage().contains("twice"), e.getMessage());
    }

    @Test
    void aBadLexiconLineNamesFileAndLine(@TempDir Path tmp) throws Exception {
        Path bad = tmp.resolve("lex.txt");
        Files.writeString(bad, "happy\t3\nsad\tvery\n");
        var e = assertThrows(DataFormatException.class, () -> SentimentJudge.load(bad));
        assertTrue(e.getMessage().contains("lex.txt:2") && e.getMessage().contains("score"), e.getMessage());
        assertFalse(SentimentJudge.isNegation("note"));
    }
}
