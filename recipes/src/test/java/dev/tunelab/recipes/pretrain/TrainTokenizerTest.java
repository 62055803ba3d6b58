package dev.tunelab.recipes.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.io.BpeTrainer;
import dev.tunelab.io.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer command line on a few hand-written stories: the sweep table and a saved tokenizer. */
class TrainTokenizerTest {
    static final List<String> STORIES = List.of(
            "Once upon a time, there was a little girl named Lily. She liked to play in the park with her ball.",
            "Tim had a big red ball. One day, Tim and Lily played with the ball in the park. They were happy.",
            "Once upon a time, a boy named Ben found a kite. Ben and his mom went to the park to fly the kite.");

    @Test
    void theSweepHasARowPerVocabularySizeAndTheEmbeddingCost() {
        String table = TrainTokenizer.sweepTable(STORIES, List.of("Lily and Ben played in the park."),
                new int[] {270, 300}, new int[] {8}, 1);
        List<String> lines = table.strip().lines().toList();
        assertEquals(4, lines.size(), table);
        assertTrue(lines.get(0).contains("held-out tokens") && lines.get(0).contains("embedding params (h=8)"), table);
        assertEquals(9, lines.get(1).split("---", -1).length, "eight columns: " + lines.get(1));
        for (String row : lines.subList(2, 4)) {
            String[] cells = row.split("\\|");
            int vocab = Integer.parseInt(cells[1].strip());
            assertEquals(String.format(java.util.Locale.ROOT, "%,d", vocab * 8), cells[cells.length - 1].strip(), row);
        }
    }

    @Test
    void trainsOnStoriesBetweenSeparatorsAndSavesTheTokenizer(@TempDir Path tmp) throws Exception {
        Path train = tmp.resolve("train.txt");
        Files.writeString(train, String.join("\n" + BpeTrainer.ENDOFTEXT + "\n", STORIES) + "\n" + BpeTrainer.ENDOFTEXT
                + "\nThe cut-off tail");
        Path out = tmp.resolve("tokenizer");
        TrainTokenizer.main(new String[] {"--vocab-size", "300", "--min-frequency", "1", "--out", out.toString(),
                train.toString()});
        try (Tokenizer tok = Tokenizer.load(out)) {
            String text = "Lily played with the ball in the park.";
            assertEquals(text, tok.decode(tok.encode(text, false), true));
            assertTrue(tok.encode(text, false).length < text.length(), "merges shorten the text");
        }
    }
}
