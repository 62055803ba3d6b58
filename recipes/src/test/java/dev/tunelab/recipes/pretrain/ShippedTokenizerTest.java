package dev.tunelab.recipes.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.io.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The base models are pretrained on stories joined by end-of-text, never after BOS: the tokenizer
 * the recipe saves, and the ones shipped with the models, must not put BOS in front of a text.
 */
class ShippedTokenizerTest {
    static final String TEXT = "Once upon a time, there was a little girl named Lily.";

    @Test
    void theRecipesTokenizerAddsNoBos(@TempDir Path tmp) throws Exception {
        Tokenizer tok = Pretraining.trainTokenizer(TrainTokenizerTest.STORIES, 300, tmp);
        assertTrue(tok.bosId().isPresent(), "the BOS token exists (chat formats may use it)");
        assertArrayEquals(tok.encode(TEXT, false), tok.encode(TEXT));
        var config = new ObjectMapper().readTree(tmp.resolve("tokenizer_config.json").toFile());
        assertFalse(config.get("add_bos_token").asBoolean(), config.toString());
        assertTrue(new ObjectMapper().readTree(tmp.resolve("tokenizer.json").toFile()).get("post_processor").isNull());
    }

    @Test
    void theShippedTokenizersAddNoBos() throws Exception {
        for (String name : new String[] {"tinystories-base", "tinystories-mini"}) {
            Path dir = shipped(name);
            Tokenizer tok = Tokenizer.load(dir);
            long[] ids = tok.encode(TEXT);
            assertArrayEquals(tok.encode(TEXT, false), ids, name);
            assertTrue(ids[0] != tok.bosId().getAsLong(), name);
            assertEquals(false, new ObjectMapper().readTree(dir.resolve("tokenizer_config.json").toFile()).get("add_bos_token").asBoolean());
        }
    }

    private static Path shipped(String name) {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path m = d.resolve("datasets/models").resolve(name);
            if (Files.isDirectory(m)) return m;
        }
        throw new IllegalStateException("datasets/models/" + name + " not found above " + Path.of("").toAbsolutePath());
    }
}
