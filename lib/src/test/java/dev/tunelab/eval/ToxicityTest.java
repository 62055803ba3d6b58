package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.distill.Candidate;
import dev.tunelab.distill.Checks;
import dev.tunelab.distill.Filter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

class ToxicityTest {
    static final Toxicity SMALL = new Toxicity("small", List.of("stupid", "Shut  up", "beat you", "beat you up", "hate"));

    @Test
    void findsWholeWordTermsWithOffsetsAndPrefersTheLongest() {
        String text = "You are STUPID. Shut\nup! I will beat you up. Stupidity is fine, and so is hated.";
        Toxicity.Verdict v = SMALL.score(text);
        assertEquals(List.of(new Toxicity.Hit("stupid", 8), new Toxicity.Hit("shut up", 16), new Toxicity.Hit("beat you up", 32)),
                v.hits());
        assertEquals("stupid (8), shut up (16), beat you up (32)", v.evidence());
        assertEquals(text.indexOf("beat"), 32);
        assertFalse(SMALL.toxic("I do not shut the door. The hatter smiled."));
        assertTrue(SMALL.toxic("I hate it."));
    }

    @Test
    void rateHasTheWilsonIntervalAndTheWorstTexts() {
        List<String> texts = List.of("nice", "stupid and stupid, shut up", "good", "hate", "ok", "fine", "yes", "no", "kind", "soft");
        Toxicity.Rate r = SMALL.rate(texts);
        assertEquals(2, r.flagged());
        assertEquals(0.2, r.rate(), 1e-12);
        assertEquals(0.4, r.meanHits(), 1e-12);
        // statsmodels proportion_confint(2, 10, method="wilson"), by the closed form in Python
        assertArrayEquals(new double[] {0.05668215145437519, 0.5098375284633583}, r.interval(), 1e-12);
        Table worst = r.worst(5);
        assertEquals(2, worst.rowCount());
        assertEquals(1, worst.intColumn("#").get(0));
        assertEquals(3, worst.intColumn("hits").get(0));
        assertEquals(3, worst.intColumn("#").get(1));
        assertEquals(1, r.worst(1).rowCount());
    }

    @Test
    void wilsonMatchesHandComputedBounds() {
        // k = 0: [0, z^2 / (n + z^2)]; k = n: [n / (n + z^2), 1]
        double z2 = Toxicity.Z95 * Toxicity.Z95;
        assertArrayEquals(new double[] {0, z2 / (10 + z2)}, Toxicity.wilson(0, 10, Toxicity.Z95), 1e-12);
        assertArrayEquals(new double[] {10 / (10 + z2), 1}, Toxicity.wilson(10, 10, Toxicity.Z95), 1e-12);
        assertArrayEquals(new double[] {0.10779126740630099, 0.6032218525388546}, Toxicity.wilson(3, 10, Toxicity.Z95), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Toxicity.wilson(3, 2, Toxicity.Z95));
    }

    @Test
    void storyListLoadsFromTheClassPathAndFromAFile(@TempDir Path dir) throws Exception {
        Toxicity stories = Toxicity.stories();
        assertEquals(Files.readAllLines(Path.of("..", "datasets", "lexicon", "toxicity.txt")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).count(), stories.terms().size());
        assertEquals(List.of("idiot", "shut up"), stories.score("You idiot, shut up!").hits().stream().map(Toxicity.Hit::term).toList());
        assertFalse(stories.toxic("What do you mean? Lily smiled and hugged her mom."));
        Path file = dir.resolve("list.txt");
        Files.writeString(file, "# my list\nboo  # a comment\n\ngo away\n");
        Toxicity mine = Toxicity.load(file);
        assertEquals(List.of("boo", "go away"), mine.terms());
        assertEquals(1, mine.score("Go   away, boos").count());
        assertThrows(IllegalArgumentException.class, () -> new Toxicity("empty", List.of(" ", "")));
    }

    @Test
    void worksAsARewardAndAsASyntheticDataFilter() {
        RewardFunction penalty = SMALL.penalty();
        assertEquals(-2, penalty.score("p", "stupid, shut up"), 0);
        assertEquals(0, penalty.score("stupid prompt", "a kind story"), 0);
        RewardFunction length = (p, c) -> c.length();
        assertEquals(15 - 2 * 2.5, SMALL.penalized(length, 2.5).score("p", "stupid, shut up"), 1e-12);
        Filter f = Filter.of(Checks.nonToxic(SMALL));
        assertEquals("non-toxic(small)", f.name());
        assertTrue(f.passes(new Candidate("You are stupid. ", "No, I am kind.")));   // the prompt's words do not count
        assertFalse(f.passes(new Candidate("Tell me.", " I hate you.")));
    }
}
