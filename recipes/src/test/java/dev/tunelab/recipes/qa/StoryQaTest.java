package dev.tunelab.recipes.qa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoryQaTest {
    static final String P = "Once upon a time, there was a little girl named Lily. Lily found a shiny red ball in the grass. "
            + "She went to the park. Tom went to the candy store to buy sweets. Lily loved to play ball with her dog. "
            + "Lily saw a big, brown dog.";

    @Test
    void eachRuleReadsItsQuestionAndASpanOfThePassage() {
        StoryQa.Question name = StoryQa.question(P, "name");
        assertEquals(new StoryQa.Question("name", P, "What was the name of the girl?", "The girl's name was", "Lily", 48), name);
        StoryQa.Question find = StoryQa.question(P, "find");
        assertEquals("What did Lily find?", find.question());
        assertEquals("Lily found", find.stem());
        assertEquals("a shiny red ball", find.answer()); // stops before "in"
        // "She went to the park" has no named person; Tom's trip is the first with a name
        StoryQa.Question place = StoryQa.question(P, "place");
        assertEquals("Where did Tom go?", place.question());
        assertEquals("the candy store", place.answer());
        assertEquals("play ball", StoryQa.question(P, "love").answer());
        // "a big, brown dog" would be cut inside the list of adjectives: no question
        assertNull(StoryQa.question(P, "see"));
        for (String kind : List.of("name", "find", "place", "love")) {
            StoryQa.Question q = StoryQa.question(P, kind);
            assertEquals(q.answer(), P.substring(q.answerStart(), q.answerStart() + q.answer().length()), kind);
        }
    }

    @Test
    void twoOfTheSameNounNamedGiveNoNameQuestion() {
        assertNull(StoryQa.question("There was a girl named Amy and a girl named Sue. They played all day long in the sun.", "name"));
        assertEquals("Amy", StoryQa.question("There was a girl named Amy and a dog named Rex.", "name").answer());
    }

    @Test
    void passagesAreMediumLengthAsciiParagraphsAndKindsTakeTurns() {
        String ok = "Lily found a red ball. " + "She played with it all day in the sun and she was very happy. ".repeat(2);
        String shortOne = "Tom went to the park.";
        String text = ok + "\n\n" + shortOne + "\n\n" + ok.replace("Lily", "Zoë") + "\n\n"
                + "Sam went to the lake. " + "He swam with his dad all day long and he was very happy. ".repeat(2);
        List<String> passages = StoryQa.passages(text);
        assertEquals(2, passages.size()); // too short, and not ASCII, are left out
        List<StoryQa.Question> qs = StoryQa.questions(passages, 2, 1);
        assertEquals(List.of("find", "place"), qs.stream().map(StoryQa.Question::kind).sorted().toList());
        assertEquals(qs, StoryQa.questions(passages, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> StoryQa.questions(passages, 3, 1));
    }

    @Test
    void shippedSetMatchesItsManifestAndIsRemadeByteForByte(@TempDir Path out) throws Exception {
        Path shipped = Path.of("..", "datasets", "qa");
        JsonNode manifest = new ObjectMapper().readTree(shipped.resolve("MANIFEST.json").toFile());
        JsonNode file = manifest.path("files").path(StoryQa.FILE);
        assertEquals(file.path("sha256").asText(), StoryQa.sha256(shipped.resolve(StoryQa.FILE)));
        assertEquals(file.path("rows").asInt(), Files.readAllLines(shipped.resolve(StoryQa.FILE)).size());
        String env = System.getenv("TUNELAB_DATA");
        Path mirror = env != null ? Path.of(env) : Path.of("..", "..", "shared", "datasets");
        Assumptions.assumeTrue(Files.exists(mirror.resolve(StoryQa.SOURCE)), "no TinyStories mirror at " + mirror + "; not re-made");
        StoryQa.main(new String[] {"--data", mirror.toString(), "--out", out.toString(), "--count",
                manifest.path("files").path(StoryQa.FILE).path("rows").asText(), "--seed", manifest.path("seed").asText()});
        assertEquals(Files.readString(shipped.resolve(StoryQa.FILE)), Files.readString(out.resolve(StoryQa.FILE)));
    }
}
