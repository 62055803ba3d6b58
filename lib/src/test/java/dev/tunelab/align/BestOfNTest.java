package dev.tunelab.align;

import dev.tunelab.eval.RewardFunction;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.generate.GenerationConfig;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BestOfNTest {
    @Test
    void keepsTheHighestScoringOfNSamplesAndIsRepeatable() {
        RewardFunction length = (prompt, completion) -> completion.length();
        List<String> prompts = List.of("Tom had a red ball.", "The cat was very hungry.");
        try (LanguageModel lm = Models.load(PpoTrainerTest.modelDir())) {
            GenerationConfig cfg = GenerationConfig.sample(1.0).maxNewTokens(10).seed(4);
            List<BestOfN.Choice> a = BestOfN.sample(lm.model(), lm.tokenizer(), prompts, 4, length, cfg);
            List<BestOfN.Choice> b = BestOfN.sample(lm.model(), lm.tokenizer(), prompts, 4, length, cfg);
            for (int i = 0; i < prompts.size(); i++) {
                BestOfN.Choice c = a.get(i);
                assertEquals(4, c.candidates().size());
                assertEquals(Arrays.stream(c.scores()).max().orElseThrow(), c.bestScore());
                assertEquals(c.bestScore(), c.best().length());
                assertTrue(c.candidates().contains(c.best()));
                assertEquals(c.best(), b.get(i).best(), "same seed, same draws");
            }
            assertTrue(a.get(0).candidates().stream().distinct().count() > 1, "N independent samples, not one repeated");
        }
    }

    @Test
    void klOfBestOfNIsLogNMinusNMinusOneOverN() {
        assertEquals(0.0, BestOfN.kl(1), 0);
        assertEquals(Math.log(4) - 0.75, BestOfN.kl(4), 1e-15);
        assertEquals(1.8350887, BestOfN.kl(16), 1e-7); // log 16 = 2.7725887, minus 15/16 = 0.9375
    }
}
