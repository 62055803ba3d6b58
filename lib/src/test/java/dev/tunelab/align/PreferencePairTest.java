package dev.tunelab.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tunelab.data.PreferenceExample;
import dev.tunelab.io.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreferencePairTest {
    @Test
    void tokenizesAsTrlPromptWithBosCompletionsWithEosAndTruncates(@TempDir Path dir) throws IOException {
        // the shipped model's tokenizer with add_bos_token switched on, as Llama's is
        Path shipped = PpoTrainerTest.modelDir();
        Files.copy(shipped.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                Files.readString(shipped.resolve("tokenizer_config.json")).replace("\"add_bos_token\": false", "\"add_bos_token\": true"));
        Tokenizer tokenizer = Tokenizer.load(dir);
        long bos = tokenizer.bosId().orElseThrow();
        long eos = tokenizer.eosId().orElseThrow();
        var example = new PreferenceExample("Tom had a red ball.", " He was happy.", " He was sad and cried.");
        PreferencePair pair = PreferencePair.tokenize(tokenizer, example, 64, 64);
        assertEquals(bos, pair.prompt()[0]);
        assertArrayEquals(tokenizer.encode("Tom had a red ball."), pair.prompt());
        long[] happy = tokenizer.encode(" He was happy.", false);
        assertArrayEquals(happy, Arrays.copyOf(pair.chosen(), pair.chosen().length - 1));
        assertEquals(eos, pair.chosen()[pair.chosen().length - 1]);
        assertEquals(eos, pair.rejected()[pair.rejected().length - 1]);

        // a cut completion keeps its first tokens and gets no EOS; a cut prompt keeps its last tokens
        PreferencePair cut = PreferencePair.tokenize(tokenizer, example, 3, 3);
        assertArrayEquals(Arrays.copyOf(happy, 3), cut.chosen());
        long[] prompt = pair.prompt();
        assertArrayEquals(Arrays.copyOfRange(prompt, prompt.length - 3, prompt.length), cut.prompt());

        // an empty completion is allowed (a model that stopped at once), identical ones are not
        new PreferencePair(new long[] {bos}, new long[] {}, new long[] {5});
        assertThrows(IllegalArgumentException.class, () -> new PreferencePair(new long[] {bos}, new long[] {5}, new long[] {5}));
        assertThrows(IllegalArgumentException.class, () -> new PreferencePair(new long[] {}, new long[] {4}, new long[] {5}));

        // the shipped tokenizer says add_bos_token: false (its model never saw BOS): no BOS in front
        PreferencePair plain = PreferencePair.tokenize(Tokenizer.load(shipped), example, 64, 64);
        assertArrayEquals(Arrays.copyOfRange(pair.prompt(), 1, pair.prompt().length), plain.prompt());
    }
}
