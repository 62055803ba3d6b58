package dev.tunelab.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.train.LrSchedule;
import dev.tunelab.train.TrainConfig;
import dev.tunelab.train.Trainer;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * LoRA+ (Hayou et al. 2024): B trains at ratio x the learning rate. Adam's first update is
 * lr * g / (|g| + eps) per element, so the largest change of a parameter is its learning rate.
 */
class LoraPlusTest {
    private static final double LR = 1e-3;

    /** The largest |change| of A and of B (over all layers) after one AdamW step. */
    private static double[] firstStepChanges(TrainConfig cfg) {
        try (LlamaModel model = TinyModels.model(1)) {
            PeftModel peft = Lora.apply(model, LoraConfig.builder().r(2).alpha(4).targetModules("q_proj", "up_proj")
                    .useDora(true).build());
            Random random = new Random(3);
            Lora.layers(model).values().forEach(l -> TinyModels.randomize(l.loraB("default"), random, 0.3)); // so A has a gradient
            Map<String, Parameter> params = model.trainableParameters();
            Map<String, float[]> before = TinyModels.snapshot(params);
            Trainer.fit(peft, LoraTest.counting(400, 1), null, cfg.steps(1).learningRate(LR)
                    .schedule(LrSchedule.Kind.CONSTANT).clipNorm(0).runsDir(null).progress(false));
            Map<String, float[]> after = TinyModels.snapshot(params);
            double[] largest = new double[3]; // A, B, m
            before.forEach((name, old) -> {
                int group = name.contains(".lora_A.") ? 0 : name.contains(".lora_B.") ? 1 : 2;
                float[] now = after.get(name);
                for (int i = 0; i < old.length; i++) {
                    largest[group] = Math.max(largest[group], Math.abs(now[i] - old[i]));
                }
            });
            return largest;
        }
    }

    @Test
    void bAndOneDimensionalParametersTakeRatioTimesTheLearningRate() {
        double[] plain = firstStepChanges(new TrainConfig());
        assertEquals(LR, plain[0], 1e-2 * LR);
        assertEquals(LR, plain[1], 1e-2 * LR);
        assertEquals(LR, plain[2], 1e-2 * LR);
        double[] plus = firstStepChanges(new TrainConfig().loraPlus());
        assertEquals(LR, plus[0], 1e-2 * LR, "A keeps the learning rate");
        assertEquals(16 * LR, plus[1], 1e-2 * 16 * LR, "B: the paper's ratio 16");
        assertEquals(16 * LR, plus[2], 1e-2 * 16 * LR, "DoRA's magnitude (1-D) joins B's group as in PEFT");
        double[] four = firstStepChanges(new TrainConfig().loraPlusRatio(4));
        assertEquals(4 * LR, four[1], 1e-2 * 4 * LR);
        assertEquals(16.0, new TrainConfig().loraPlus().toMap().get("loraplus_lr_ratio"));
    }

    @Test
    void withoutLoraItIsRefusedByName() {
        try (LlamaModel model = TinyModels.model(2)) {
            var e = assertThrows(IllegalArgumentException.class, () -> Trainer.fit(model, LoraTest.counting(200, 1), null,
                    TinyModels.quickTraining(1).loraPlus()));
            assertTrue(e.getMessage().contains("cannot honour loraPlusRatio=16.0"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new TrainConfig().loraPlusRatio(0.5));
    }
}
