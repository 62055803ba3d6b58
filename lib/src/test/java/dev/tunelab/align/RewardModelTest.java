package dev.tunelab.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reward model on the repository's smallest pretrained model, with an easy synthetic preference. */
class RewardModelTest {
    static final String[] NAMES = {"Lily", "Tom", "Sam", "Anna", "Ben", "Mia", "Max", "Sue"};
    static final String[] THINGS = {"ball", "cat", "tree", "box", "car", "dog", "cake", "hat", "bird", "boat"};
    static final String[] PLACES = {"park", "garden", "house", "forest", "school", "shop"};

    /** Chosen completions mention the marker word "dragon"; rejected ones say the same with an ordinary thing. */
    static List<String[]> markerTexts(int n, long seed) {
        Random r = new Random(seed);
        List<String[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = NAMES[r.nextInt(NAMES.length)];
            String place = PLACES[r.nextInt(PLACES.length)];
            String thing = THINGS[r.nextInt(THINGS.length)];
            String prompt = name + " went to the " + place + ".";
            String tail = r.nextBoolean() ? " It was big." : " " + name + " smiled.";
            out.add(new String[] {prompt, " " + name + " saw a dragon." + tail, " " + name + " saw a " + thing + "." + tail});
        }
        return out;
    }

    static List<PreferencePair> pairs(RewardModel rm, List<String[]> texts) {
        return texts.stream().map(t -> rm.pair(t[0], t[1], t[2])).toList();
    }

    @Test
    void learnsAMarkerWordPreferenceToOverNinetyPercentHeldOutNormalisesAndRoundTrips(@TempDir Path dir) throws Exception {
        try (LanguageModel lm = Models.load(PpoTrainerTest.modelDir())) {
            RewardModel rm = new RewardModel(Lora.apply(lm.model(), LoraConfig.builder().r(8).alpha(16).allLinear().seed(1).build()),
                    lm.tokenizer(), 2);
            List<PreferencePair> train = pairs(rm, markerTexts(64, 1));
            List<PreferencePair> held = pairs(rm, markerTexts(40, 2));
            double before = rm.accuracy(held);
            var run = RewardTrainer.fit(rm, train, held, new RewardConfig().batchSize(8)
                    .train(t -> t.steps(20).learningRate(1e-2).evalEvery(10).seed(3).runsDir(null).progress(false))).run();
            double after = rm.accuracy(held);
            System.out.printf("reward model held-out accuracy: %.3f before, %.3f after%n", before, after);
            assertTrue(after > 0.9, "held-out accuracy " + after + " (before training " + before + ")");
            assertEquals(after, ((Number) run.history().get(run.history().size() - 1).get("eval_accuracy")).doubleValue(), 1e-12);

            List<String[]> reference = markerTexts(24, 4);
            List<String> prompts = new ArrayList<>();
            List<String> completions = new ArrayList<>();
            for (String[] t : reference) {
                prompts.add(t[0]);
                completions.add(t[1]);
                prompts.add(t[0]);
                completions.add(t[2]);
            }
            double[] normalised = rm.normalise(prompts, completions).scores(prompts, completions);
            double mean = java.util.Arrays.stream(normalised).average().orElseThrow();
            double var = java.util.Arrays.stream(normalised).map(x -> (x - mean) * (x - mean)).average().orElseThrow();
            assertEquals(0, mean, 1e-5);
            assertEquals(1, var, 1e-4);
            assertTrue(rm.std() != 1 || rm.mean() != 0);

            rm.save(dir);
            try (LlamaModel fresh = Models.load(PpoTrainerTest.modelDir()).model()) {
                RewardModel loaded = RewardModel.load(fresh, lm.tokenizer(), dir);
                assertArrayEquals(normalised, loaded.scores(prompts, completions), 1e-5);
            }
            assertThrows(java.io.IOException.class, () -> RewardModel.load(lm.model(), lm.tokenizer(), dir.resolve("none")));
        }
    }
}
