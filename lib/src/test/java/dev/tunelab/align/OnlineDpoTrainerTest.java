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

/** Online DPO end to end on tinystories-mini, judged by the count-"the" reward of the PPO and GRPO tests. */
class OnlineDpoTrainerTest {
    @Test
    void theJudgedScoreRisesAndTheFirstStepStartsAtLogTwo() {
        List<Map<String, Object>> history;
        try (LanguageModel lm = Models.load(PpoTrainerTest.modelDir())) {
            PeftModel policy = Lora.apply(lm.model(), LoraConfig.builder().r(8).alpha(16).allLinear().seed(3).build());
            OnlineDpoConfig cfg = new OnlineDpoConfig().loss(DpoLoss.sigmoid(0.1)).promptsPerStep(16).maxNewTokens(12)
                    .monitor(PpoTrainerTest.COUNT_THE)
                    .train(t -> t.steps(10).learningRate(3e-3).seed(5).runsDir(null).progress(false));
            history = OnlineDpoTrainer.fit(policy, lm.tokenizer(), PpoTrainerTest.PROMPTS,
                    OnlineDpoTrainer.scoreJudge(PpoTrainerTest.COUNT_THE), cfg).run().history();
        }
        // a fresh adapter is the reference: the first step's loss is log 2 and its margins 0
        assertEquals(Math.log(2), ((Number) history.get(0).get("loss")).doubleValue(), 1e-5);
        double first = PpoTrainerTest.mean(history.subList(0, 3), "objective/scores");
        double last = PpoTrainerTest.mean(history.subList(7, 10), "objective/scores");
        System.out.printf("online DPO count-'the' score: first 3 steps %.3f, last 3 steps %.3f%n", first, last);
        assertTrue(last > first + 0.3, "score should rise: first " + first + ", last " + last);
    }

    @Test
    void settingsItCannotHonourAreRefused() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new OnlineDpoConfig().loss(DpoLoss.conservative(0.1, 0.1)));
        assertTrue(e.getMessage().contains("label smoothing 0.1"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new OnlineDpoConfig().promptsPerStep(0));
        assertEquals("ipo", new OnlineDpoConfig().loss(DpoLoss.ipo(0.5)).toMap().get("loss_type"));
    }
}
