package dev.tunelab.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.peft.TinyModels;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.train.LrSchedule;
import dev.tunelab.train.TrainResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class PreferenceTrainerTest {
    static final long MARKER = 7;

    /** Pairs whose chosen completion contains the marker token and whose rejected one does not. */
    public static List<PreferencePair> markerPairs(int n, long seed) {
        Random random = new Random(seed);
        List<PreferencePair> pairs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long[] prompt = {1, 10 + random.nextInt(20), 10 + random.nextInt(20)};
            long[] rejected = new long[3 + random.nextInt(3)];
            for (int j = 0; j < rejected.length; j++) {
                rejected[j] = 10 + random.nextInt(20);
            }
            long[] chosen = rejected.clone();
            chosen[random.nextInt(chosen.length)] = MARKER;
            pairs.add(new PreferencePair(prompt, chosen, rejected));
        }
        return pairs;
    }

    static PeftModel policy(LlamaModel model) {
        return Lora.apply(model, LoraConfig.builder().r(4).alpha(8).allLinear().seed(1).build());
    }

    static PreferenceConfig quick(PreferenceMethod method, int steps) {
        return new PreferenceConfig(method).batchSize(8)
                .train(t -> t.steps(steps).learningRate(2e-2).runsDir(null).progress(false).logEvery(1).seed(3));
    }

    @Test
    void dpoLearnsTheMarkerPreferenceStartingFromZeroRewards() {
        try (LlamaModel model = TinyModels.model(11)) {
            PeftModel policy = policy(model);
            List<PreferencePair> train = markerPairs(48, 1);
            List<PreferencePair> eval = markerPairs(32, 2);
            TrainResult result = PreferenceTrainer.fit(policy, train, eval, quick(DpoLoss.sigmoid(0.5), 30));
            List<Map<String, Object>> history = result.run().history();
            // step 1's metrics are taken before its update: a fresh adapter is exactly the reference
            Map<String, Object> first = history.get(0);
            assertEquals(0.0, ((Number) first.get("rewards/chosen")).doubleValue(), 1e-5);
            assertEquals(0.0, ((Number) first.get("rewards/margins")).doubleValue(), 1e-5);
            assertEquals(Math.log(2), ((Number) first.get("loss")).doubleValue(), 1e-5);
            assertTrue(result.metrics().get("rewards/margins") > 1, "train margin grows: " + result.metrics());
            assertTrue(result.evalMetrics().get("rewards/accuracies") > 0.9, "held-out accuracy: " + result.evalMetrics());
            assertTrue(result.evalMetrics().get("rewards/margins") > 0.5, "held-out margin: " + result.evalMetrics());
            assertTrue(result.evalMetrics().get("loss") < 0.4, "held-out loss below log 2: " + result.evalMetrics());
            assertTrue(result.mimeBundle().get("text/html").split("data:image/png;base64").length == 4,
                    "renders the loss, margin and accuracy curves, one chart each");
        }
    }

    @Test
    void ipoOrpoKtoSimpoAndCpoEachSeparateChosenFromRejected() {
        for (PreferenceMethod method : List.of(DpoLoss.ipo(0.5), new OrpoLoss(1.0), KtoLoss.of(0.5),
                new SimpoLoss(2.0, 0.5), new CpoLoss(0.5, 1.0))) {
            try (LlamaModel model = TinyModels.model(11)) {
                TrainResult result = PreferenceTrainer.fit(policy(model), markerPairs(48, 1), markerPairs(32, 2),
                        quick(method, 30));
                Map<String, Double> eval = result.evalMetrics();
                assertTrue(eval.get("rewards/margins") > 0, method + ": " + eval);
                assertTrue(eval.get("rewards/chosen") > eval.get("rewards/rejected"), method + ": " + eval);
                if (!(method instanceof KtoLoss)) { // KTO's metrics are over unpaired completions: no accuracy
                    assertTrue(eval.get("rewards/accuracies") > 0.8, method + ": " + eval);
                }
            }
        }
    }

    @Test
    void resumedRunEndsWhereAnUninterruptedOneDoes(@TempDir Path dir) {
        List<PreferencePair> train = markerPairs(20, 1);
        float[] straight;
        try (LlamaModel model = TinyModels.model(11)) {
            PeftModel policy = policy(model);
            PreferenceTrainer.fit(policy, train, List.of(), quick(DpoLoss.sigmoid(0.5), 10).train(t -> t.schedule(LrSchedule.Kind.CONSTANT)));
            straight = policy.adapterParameters("default").values().iterator().next().data().toFloatArray();
        }
        try (LlamaModel model = TinyModels.model(11)) {
            PeftModel policy = policy(model);
            PreferenceTrainer.fit(policy, train, List.of(),
                    quick(DpoLoss.sigmoid(0.5), 6).train(t -> t.schedule(LrSchedule.Kind.CONSTANT).checkpointDir(dir)));
        }
        try (LlamaModel model = TinyModels.model(11)) {
            PeftModel policy = policy(model);
            TrainResult resumed = PreferenceTrainer.fit(policy, train, List.of(),
                    quick(DpoLoss.sigmoid(0.5), 10).train(t -> t.schedule(LrSchedule.Kind.CONSTANT).checkpointDir(dir)));
            assertEquals(6, resumed.startStep());
            assertArrayEquals(straight, policy.adapterParameters("default").values().iterator().next().data().toFloatArray(), 1e-6f);
        }
    }
}
