package dev.tunelab.align;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RolloutsTest {
    @Test
    void everyPromptOnceAnEpochInASeededOrder() {
        List<String> prompts = IntStream.range(0, 10).mapToObj(i -> "p" + i).toList();
        List<String> firstEpoch = new ArrayList<>();
        for (int step = 0; step < 5; step++) {
            firstEpoch.addAll(Rollouts.promptsFor(prompts, step, 2, 7));
        }
        assertEquals(new HashSet<>(prompts), new HashSet<>(firstEpoch));
        assertEquals(10, firstEpoch.size());
        // a step's prompts depend only on (step, seed); an epoch boundary inside a step is crossed in order
        assertEquals(Rollouts.promptsFor(prompts, 3, 4, 7), Rollouts.promptsFor(prompts, 3, 4, 7));
        // positions 8..11: epoch 0's last two, then epoch 1's first two
        List<String> across = Rollouts.promptsFor(prompts, 2, 4, 7);
        assertEquals(firstEpoch.subList(8, 10), across.subList(0, 2));
    }

    @Test
    void completionsEndWithEosOrHaveFixedLength() {
        try (LanguageModel lm = Models.load(PpoTrainerTest.modelDir())) {
            long eos = lm.tokenizer().eosId().orElseThrow();
            List<String> prompts = PpoTrainerTest.PROMPTS;
            var stopping = Rollouts.sample(lm.model(), lm.tokenizer(), prompts, PpoTrainerTest.COUNT_THE, 48, true, 3);
            int ended = 0;
            for (int i = 0; i < prompts.size(); i++) {
                long[] c = stopping.completionIds().get(i);
                boolean endsWithEos = c[c.length - 1] == eos;
                ended += endsWithEos ? 1 : 0;
                assertTrue(endsWithEos ? c.length <= 49 : c.length == 48,
                        "completion " + i + " has " + c.length + " tokens");
                for (int t = 0; t < c.length - 1; t++) {
                    assertTrue(c[t] != eos, "EOS inside completion " + i); // it ends the completion
                }
                assertEquals(PpoTrainerTest.COUNT_THE.score(prompts.get(i), stopping.completions().get(i)),
                        stopping.scores()[i]);
            }
            assertTrue(ended > 0, "some of 8 stories of up to 48 tokens should end by themselves");
            var fixed = Rollouts.sample(lm.model(), lm.tokenizer(), prompts, PpoTrainerTest.COUNT_THE, 48, false, 3);
            fixed.completionIds().forEach(c -> assertEquals(48, c.length));
            assertEquals(8L * 48, fixed.generatedTokens());
        }
    }
}
