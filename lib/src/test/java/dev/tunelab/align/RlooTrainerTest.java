package dev.tunelab.align;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.peft.PeftModel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** RLOO end to end on tinystories-mini with the same programmatic reward as the PPO and GRPO tests. */
class RlooTrainerTest {
    @Test
    void meanScoreRisesUnderTheKlPenalisedReward() {
        List<Map<String, Object>> history;
        try (LanguageModel lm = Models.load(PpoTrainerTest.modelDir())) {
            PeftModel policy = Lora.apply(lm.model(), LoraConfig.builder().r(8).alpha(16).allLinear().seed(3).build());
            RlooConfig cfg = new RlooConfig().promptsPerStep(4).k(4).miniBatchSize(8).iterations(2).maxNewTokens(12).beta(0.02)
                    .train(t -> t.steps(8).learningRate(3e-3).seed(5).runsDir(null).progress(false));
            history = RlooTrainer.fit(policy, lm.tokenizer(), PpoTrainerTest.PROMPTS, PpoTrainerTest.COUNT_THE, cfg).run().history();
        }
        double first = PpoTrainerTest.mean(history.subList(0, 3), "objective/scores");
        double last = PpoTrainerTest.mean(history.subList(5, 8), "objective/scores");
        System.out.printf("RLOO count-'the' score: first 3 steps %.3f, last 3 steps %.3f%n", first, last);
        assertTrue(last > first + 0.5, "score should rise: first " + first + ", last " + last);
        // the rlhf reward is the score less the KL penalty
        for (Map<String, Object> row : history) {
            double scores = ((Number) row.get("objective/scores")).doubleValue();
            double penalty = ((Number) row.get("objective/non_score_reward")).doubleValue();
            double rlhf = ((Number) row.get("objective/rlhf_reward")).doubleValue();
            assertTrue(Math.abs(scores + penalty - rlhf) < 1e-9, row.toString());
        }
    }

    @Test
    void aGroupOfOneHasNoLeaveOneOutBaselineAndIsRefused() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new RlooConfig().k(1));
        assertTrue(e.getMessage().contains("k must be at least 2"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new RlooConfig().beta(-0.1));
    }
}
