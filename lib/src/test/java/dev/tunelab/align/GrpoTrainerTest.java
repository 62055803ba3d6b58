package dev.tunelab.align;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.peft.PeftModel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GRPO end to end on tinystories-mini with the same programmatic reward as the PPO test. */
class GrpoTrainerTest {
    static List<Map<String, Object>> train(int steps) {
        try (LanguageModel lm = Models.load(PpoTrainerTest.modelDir())) {
            PeftModel policy = Lora.apply(lm.model(), LoraConfig.builder().r(8).alpha(16).allLinear().seed(3).build());
            GrpoConfig cfg = new GrpoConfig().promptsPerStep(4).groupSize(4).miniBatchSize(8).iterations(2)
                    .maxNewTokens(12).beta(0.02)
                    .train(t -> t.steps(steps).learningRate(3e-3).seed(5).runsDir(null).progress(false));
            var result = GrpoTrainer.fit(policy, lm.tokenizer(), PpoTrainerTest.PROMPTS, PpoTrainerTest.COUNT_THE, cfg);
            return result.run().history();
        }
    }

    @Test
    void meanRewardRisesAndKlStaysNonNegative() {
        List<Map<String, Object>> history = train(8);
        double first = PpoTrainerTest.mean(history.subList(0, 3), "reward");
        double last = PpoTrainerTest.mean(history.subList(5, 8), "reward");
        System.out.printf("GRPO count-'the' reward: first 3 steps %.3f, last 3 steps %.3f%n", first, last);
        assertTrue(last > first + 0.5, "reward should rise: first " + first + ", last " + last);
        // k3 is never negative; the policy has moved away from the reference by the end
        history.forEach(r -> assertTrue(((Number) r.get("kl")).doubleValue() >= 0));
        assertTrue(PpoTrainerTest.mean(history.subList(5, 8), "kl") > 0);
    }

    @Test
    void sameSeedGivesSameNumbers() {
        List<Map<String, Object>> a = train(2);
        List<Map<String, Object>> b = train(2);
        for (int i = 0; i < a.size(); i++) {
            for (String k : List.of("reward", "kl", "loss", "clip_ratio")) {
                assertEquals(a.get(i).get(k), b.get(i).get(k), k + " at step " + (i + 1));
            }
        }
    }
}
