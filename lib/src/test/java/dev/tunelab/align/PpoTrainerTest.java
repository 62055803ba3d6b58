package dev.tunelab.align;

import dev.tunelab.eval.RewardFunction;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.track.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PPO end to end on the repository's smallest pretrained model (0.59M parameters) with a programmatic reward. */
public class PpoTrainerTest {
    static final List<String> PROMPTS = List.of("Once upon a time, there was a little girl.", "Tom had a red ball.",
            "One day, Lily went to the park.", "The cat was very hungry.", "Sam and his mom went to the store.",
            "There was a big tree in the garden.", "Anna wanted to play with her friend.", "The dog saw a bird.");

    /** Reward: how many times the completion says "the" (a word the model already uses, so PPO has signal at once). */
    static final RewardFunction COUNT_THE = (prompt, completion) ->
            (double) java.util.Arrays.stream(completion.toLowerCase().split("[^a-z]+")).filter("the"::equals).count();

    public static Path modelDir() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path m = dir.resolve("datasets/models/tinystories-mini");
            if (Files.isDirectory(m)) return m;
        }
        throw new IllegalStateException("no datasets/models/tinystories-mini above " + Path.of("").toAbsolutePath());
    }

    static PpoConfig config(int steps) {
        return new PpoConfig().batchSize(16).miniBatchSize(8).ppoEpochs(2).maxNewTokens(12).fixedKl(0.02)
                .train(t -> t.steps(steps).learningRate(3e-3).seed(5).runsDir(null).progress(false));
    }

    static PpoTrainer.PpoResult train(PpoConfig cfg) {
        try (LanguageModel lm = Models.load(modelDir())) {
            PeftModel policy = Lora.apply(lm.model(), LoraConfig.builder().r(8).alpha(16).allLinear().seed(3).build());
            PpoTrainer.PpoResult result = PpoTrainer.fit(policy, lm.tokenizer(), PROMPTS, COUNT_THE, cfg);
            result.valueHead().close();
            return result;
        }
    }

    static Run train(int steps) {
        return train(config(steps)).run();
    }

    static double mean(List<Map<String, Object>> rows, String metric) {
        return rows.stream().mapToDouble(r -> ((Number) r.get(metric)).doubleValue()).average().orElseThrow();
    }

    @Test
    void meanRewardRises() {
        List<Map<String, Object>> history = train(8).history();
        double first = mean(history.subList(0, 3), "objective/scores");
        double last = mean(history.subList(5, 8), "objective/scores");
        System.out.printf("PPO count-'the' reward: first 3 steps %.3f, last 3 steps %.3f%n", first, last);
        assertTrue(last > first + 0.5, "reward should rise: first " + first + ", last " + last);
        // the policy moved away from the reference, and the KL term saw it
        assertTrue(mean(history.subList(5, 8), "objective/kl") > 0);
    }

    @Test
    void earlyStopEndsThePpoEpochsOnceThePolicyHasMoved() {
        // The first minibatch starts at ratio 1 (approx-KL 0) and updates; the second sees approx-KL > 0,
        // above 1.5 x a tiny target, and ends the step's PPO epochs without updating.
        PpoTrainer.PpoResult result = train(config(1).targetKl(1e-9));
        assertEquals(1, result.earlyStops());
        Map<String, Object> step = result.run().history().get(0);
        assertEquals(1, ((Number) step.get("ppo/updates")).intValue());
        assertEquals(0.0, ((Number) step.get("policy/approxkl_avg")).doubleValue(), 1e-12);
        // without a target the same step makes all 2 epochs x 2 minibatches of updates
        assertEquals(4, ((Number) train(1).history().get(0).get("ppo/updates")).intValue());
    }

    /** The policy's adapters after one PPO step of {@code cfg}, as flat float arrays by name. */
    static Map<String, float[]> adaptersAfterOneStep(PpoConfig cfg) {
        try (LanguageModel lm = Models.load(modelDir())) {
            PeftModel policy = Lora.apply(lm.model(), LoraConfig.builder().r(8).alpha(16).allLinear().seed(3).build());
            PpoTrainer.fit(policy, lm.tokenizer(), PROMPTS, COUNT_THE, cfg).valueHead().close();
            Map<String, float[]> weights = new java.util.TreeMap<>();
            lm.model().trainableParameters().forEach((name, p) -> weights.put(name, p.data().toFloatArray()));
            return weights;
        }
    }

    @Test
    void theCriticsLossDoesNotMoveThePolicy() {
        // The critic is a separate model: its loss does not reach the adapters, and its gradient is clipped
        // on its own. So the adapters after a step are the same whatever weight the value loss has; with a
        // shared trunk or one global clipping norm, a value loss 10^6 times heavier would change them.
        Map<String, float[]> light = adaptersAfterOneStep(config(1).valueCoef(1e-3));
        Map<String, float[]> heavy = adaptersAfterOneStep(config(1).valueCoef(1e3));
        Map<String, float[]> start;
        try (LanguageModel lm = Models.load(modelDir())) {
            Lora.apply(lm.model(), LoraConfig.builder().r(8).alpha(16).allLinear().seed(3).build());
            start = new java.util.TreeMap<>();
            lm.model().trainableParameters().forEach((name, p) -> start.put(name, p.data().toFloatArray()));
        }
        assertEquals(light.keySet(), heavy.keySet());
        boolean moved = false;
        for (String name : light.keySet()) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(light.get(name), heavy.get(name), name);
            moved |= !java.util.Arrays.equals(light.get(name), start.get(name));
        }
        assertTrue(moved, "the PPO step should have moved the adapters");
    }

    @Test
    void sameSeedGivesSameNumbers() {
        List<Map<String, Object>> a = train(2).history();
        List<Map<String, Object>> b = train(2).history();
        for (int i = 0; i < a.size(); i++) {
            for (String k : List.of("objective/scores", "objective/kl", "loss/policy_avg", "loss/value_avg",
                    "policy/approxkl_avg")) {
                assertEquals(a.get(i).get(k), b.get(i).get(k), k + " at step " + (i + 1));
            }
        }
    }
}
