package dev.tunelab.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tunelab.data.PreferenceExample;
import dev.tunelab.io.Tokenizer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PreferencePairTest {
    @Test
    void tokenizesAsTrlPromptWithBosCompletionsWithEosAndTruncates() {
        Tokenizer tokenizer = Tokenizer.load(PpoTrainerTest.modelDir());
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
    }
}
