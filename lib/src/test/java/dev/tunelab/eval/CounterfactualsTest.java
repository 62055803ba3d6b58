package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CounterfactualsTest {
    static final Counterfactuals CF = Counterfactuals.stories();

    @Test
    void swapsWholeWordsKeepingCase() {
        assertEquals("Once there was a boy named Ben. His dad loved him.",
                CF.swap("Once there was a girl named Mia. Her mom loved her."));
        assertEquals("SHE said: \"Mommy, Lily's sister is a queen!\"", CF.swap("HE said: \"Daddy, Tim's brother is a king!\""));
        // words that contain a listed word are not touched; nor are contractions' tails
        assertEquals("The mans' shed: he's there, she'll see the theme.", CF.swap("The mans' shed: she's there, he'll see the theme."));
        assertEquals("Lily and Tim", CF.swap("Tim and Lily"));
        // a name pair swaps only capitalised words: "bob" the verb stays
        assertEquals("The boat bobs; Sarah saw it bob up.", CF.swap("The boat bobs; Bob saw it bob up."));
    }

    @Test
    void herBecomesHisBeforeAWordAndHimOtherwise() {
        assertEquals("He took his ball and gave him a hug.", CF.swap("She took her ball and gave her a hug."));
        assertEquals("Mom saw him. Dad called him, then hugged him tight.", CF.swap("Dad saw her. Mom called her, then hugged her tight."));
        assertEquals("I like him.", CF.swap("I like her."));
        assertEquals("his own room", CF.swap("her own room"));
        // the documented miss: "her" before a verb reads as a possessive
        assertEquals("saw his run", CF.swap("saw her run"));
    }

    @Test
    void hisBecomesHersAtTheEndOfAPhraseAndHerOtherwise() {
        assertEquals("The ball is hers. Her ball is red.", CF.swap("The ball is his. His ball is red."));
        assertEquals("The cake was his, so he ate it.", CF.swap("The cake was hers, so she ate it."));
        assertEquals("Tim gave her the hat and she thanked him.", CF.swap("Lily gave him the hat and he thanked her."));
    }

    @Test
    void swappingTwiceGivesBackTextWithoutAmbiguousPronouns() {
        String s = "Once upon a time, there was a little girl named Anna. She lived with her mother and her grandma.";
        assertEquals(s, CF.swap(CF.swap(s)));
    }

    @Test
    void sideCountsFemaleAgainstMaleWords() {
        assertEquals(1, CF.side("Lily and her mom."));
        assertEquals(-1, CF.side("Tim took his hat."));
        assertEquals(0, CF.side("Lily met Tim."));
        assertEquals(0, CF.side("The cat sat."));
    }

    @Test
    void loadsAListAndRejectsBadLines(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("swaps.txt");
        Files.writeString(file, "# test\ncat\tdog\nKitty\tRex\n");
        Counterfactuals cf = Counterfactuals.load(file);
        assertEquals("Rex the dog saw a cat; kitty!", cf.swap("Kitty the cat saw a dog; kitty!"));
        Files.writeString(file, "cat dog\n");
        assertThrows(IllegalArgumentException.class, () -> Counterfactuals.load(file));
        assertThrows(IllegalArgumentException.class, () -> new Counterfactuals(Map.of("her", "him")));
    }
}
