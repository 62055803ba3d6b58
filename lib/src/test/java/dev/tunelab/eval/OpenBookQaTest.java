package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tunelab.LanguageModel;
import dev.tunelab.data.DataFormatException;
import dev.tunelab.generate.GenerationConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenBookQaTest {
    static final OpenBookQa.Example FIND = new OpenBookQa.Example("q0", "find",
            "Lily went out to play. Lily found a red ball in the grass.", "What did Lily find?", "Lily found", List.of("a red ball"));
    static final OpenBookQa.Example NAME = new OpenBookQa.Example("q1", "name",
            "There was a little dog named Spot. Spot liked to run.", "What was the name of the dog?", "The dog's name was",
            List.of("Spot"));

    @Test
    void answerIsTheContinuationUpToItsFirstPunctuation() {
        assertEquals("a red ball", OpenBookQa.answer(" a red ball. She was happy"));
        assertEquals("Spot", OpenBookQa.answer(" Spot, and he"));
        assertEquals("a big box", OpenBookQa.answer(" a big box\nThe end"));
        assertEquals("a kite in the sky", OpenBookQa.answer(" a kite in the sky"));
    }

    @Test
    void scoresExactMatchF1AndUnsupportedNamesPerMode() {
        OpenBookQa.Result r = OpenBookQa.score(List.of(FIND, NAME),
                List.of(" a red ball. Then", " Spot."),
                List.of(" the ball with Tom and Lily!", " Max and Lucy went"));
        assertEquals(100, r.openExactMatch(), 1e-12);
        assertEquals(100, r.openF1(), 1e-12);
        assertEquals(0, r.openUnsupportedRate(), 1e-12);
        // closed book: "the ball with Tom and Lily" against "a red ball": normalised "ball with tom and lily" vs
        // "red ball": one shared token, precision 1/5, recall 1/2, F1 = 2/7; "Max and Lucy went" shares nothing
        assertEquals(0, r.closedExactMatch(), 1e-12);
        assertEquals(100 * (2.0 / 7) / 2, r.closedF1(), 1e-9);
        assertEquals(1.0, r.closedUnsupportedRate(), 1e-12);
        // Tom is not in the passage (Lily is); Max and Lucy are not in Spot's
        assertEquals("Tom (14)", r.rows().get(0).closed().evidence());
        assertEquals("Max (0), Lucy (8)", r.rows().get(1).closed().evidence());
        assertEquals(2, r.table().rowCount());
        assertEquals("Max (0), Lucy (8)", r.details().stringColumn("closed unsupported").get(1));
        assertEquals(100, r.byKind().doubleColumn("open EM").get(1), 1e-12);
    }

    @Test
    void loadsTheShippedSetAndRejectsBadLines(@TempDir Path dir) throws Exception {
        List<OpenBookQa.Example> qa = OpenBookQa.load(Path.of("..", "datasets", "qa", "tinystories-qa.jsonl"));
        assertEquals(150, qa.size());
        for (OpenBookQa.Example e : qa) {
            // every answer is a span of its passage, and the stem names what the question asks about
            assertEquals(true, e.passage().contains(e.answers().get(0)), e.id());
        }
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"id\": \"x\", \"passage\": \"p\"}\n");
        assertThrows(DataFormatException.class, () -> OpenBookQa.load(bad));
    }

    @Test
    void evaluateContinuesBothPromptsGreedily() {
        try (LanguageModel lm = MultipleChoiceTest.bigramModel()) {
            GenerationConfig config = GenerationConfig.greedy().maxNewTokens(5);
            OpenBookQa.Result r = OpenBookQa.evaluate(lm, List.of(FIND, NAME), config, 1);
            for (int i = 0; i < 2; i++) {
                OpenBookQa.Example e = List.of(FIND, NAME).get(i);
                assertEquals(lm.generate(e.passage() + "\n\n" + e.stem(), config).text(), r.rows().get(i).open().continuation());
                assertEquals(lm.generate(e.stem(), config).text(), r.rows().get(i).closed().continuation());
            }
        }
    }
}
