package dev.tunelab.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.train.Batch;
import dev.tunelab.train.BatchSource;
import dev.tunelab.train.Losses;
import dev.tunelab.train.TrainResult;
import dev.tunelab.train.Trainer;
import java.nio.DoubleBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Per-layer gradient checkpointing must give the gradients of the ordinary backward pass: the same
 * numbers without dropout (float64, every kind of trainable parameter), and with dropout the exact
 * gradient of the function whose masks it drew (central finite differences with the same seeds).
 */
class GradientCheckpointingTest {
    static final Batch BATCH = AdapterGradientCheckTest.BATCH;

    static final Map<String, Function<LlamaModel, Object>> METHODS = new LinkedHashMap<>();

    static {
        METHODS.put("full", m -> m);
        METHODS.put("lora", m -> {
            PeftModel p = Lora.apply(m, LoraConfig.builder().r(2).alpha(4).targetModules("v_proj", "gate_proj").build());
            Random r = new Random(1);
            Lora.layers(m).values().forEach(l -> TinyModels.randomize(l.loraB("default"), r, 0.3));
            return p;
        });
        METHODS.put("qlora", m -> {
            PeftModel p = Lora.apply(Quantization.quantize(m, QuantFormat.NF4, true),
                    LoraConfig.builder().r(2).alpha(4).targetModules("q_proj", "down_proj").build());
            Random r = new Random(2);
            Lora.layers(m).values().forEach(l -> TinyModels.randomize(l.loraB("default"), r, 0.3));
            return p;
        });
        METHODS.put("prompt", m -> PromptTuning.apply(m, PromptTuningConfig.builder().numVirtualTokens(2).build()));
        METHODS.put("prefix", m -> PrefixTuning.apply(m, PrefixTuningConfig.builder().numVirtualTokens(2).prefixProjection(true)
                .encoderHiddenSize(6).build()));
        METHODS.put("ia3", m -> {
            PeftModel p = Ia3.apply(m, Ia3Config.builder().build());
            Random r = new Random(3);
            Ia3.layers(m).values().forEach(l -> TinyModels.randomize(l.scale(), r, 1.0));
            return p;
        });
    }

    @Test
    void checkpointedGradientsEqualOrdinaryOnes() {
        METHODS.forEach((name, method) -> {
            Map<String, double[]> plain = gradients(method, false);
            Map<String, double[]> checkpointed = gradients(method, true);
            assertEquals(plain.keySet(), checkpointed.keySet(), name);
            plain.forEach((param, g) -> {
                double[] c = checkpointed.get(param);
                double worst = 0;
                double size = 0;
                for (int i = 0; i < g.length; i++) {
                    worst = Math.max(worst, Math.abs(g[i] - c[i]));
                    size = Math.max(size, Math.abs(g[i]));
                }
                assertTrue(size > 0, name + " " + param + ": no gradient at all");
                assertTrue(worst <= 1e-12 * Math.max(1, size), name + " " + param + ": differs by " + worst);
            });
        });
    }

    /** Every trainable parameter's gradient of the batch loss, float64, dropout off. */
    private static Map<String, double[]> gradients(Function<LlamaModel, Object> method, boolean checkpointing) {
        try (LlamaModel model = TinyModels.model64(21); NDManager m = model.manager().newSubManager()) {
            method.apply(model);
            model.setGradientCheckpointing(checkpointing);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(loss(model, m));
                model.backwardThroughCheckpoints();
            }
            Map<String, double[]> out = new LinkedHashMap<>();
            model.trainableParameters().forEach((n, p) -> {
                try (NDArray g = p.gradient(m)) {
                    if (g.getDataType() != DataType.FLOAT64) { // DJL's stand-in for "no gradient" is fp32 zeros
                        throw new AssertionError(n + " got no gradient (checkpointing " + checkpointing + ")");
                    }
                    out.put(n, g.toDoubleArray());
                }
            });
            return out;
        }
    }

    @Test
    void withDropoutTheGradientIsThatOfTheMasksDrawn() {
        LlamaConfig config = TinyModels.config().toBuilder().attentionDropout(0.3).build();
        try (LlamaModel model = LlamaModel.create(config, 21, Engine.getInstance().defaultDevice(), DataType.FLOAT64);
                NDManager m = model.manager().newSubManager()) {
            PeftModel peft = Lora.apply(model, LoraConfig.builder().r(2).alpha(4).dropout(0.3).targetModules("q_proj", "up_proj").build());
            Random r = new Random(4);
            Lora.layers(model).values().forEach(l -> TinyModels.randomize(l.loraB("default"), r, 0.3));
            model.train(true);
            model.setGradientCheckpointing(true);
            Engine.getInstance().setRandomSeed(77);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(loss(model, m));
                model.backwardThroughCheckpoints();
            }
            Random pick = new Random(9);
            int checked = 0;
            for (var e : peft.adapterParameters("default").entrySet()) {
                Parameter p = e.getValue();
                double[] grad;
                try (NDArray g = p.gradient(m)) {
                    grad = g.toDoubleArray();
                }
                double[] values = p.data().toDoubleArray();
                int i = pick.nextInt(values.length);
                double h = 1e-6;
                double numeric = (seededLoss(model, p, values, i, h, m) - seededLoss(model, p, values, i, -h, m)) / (2 * h);
                double scale = Math.max(1e-6, Math.abs(numeric) + Math.abs(grad[i]));
                assertTrue(Math.abs(numeric - grad[i]) / scale < 1e-5,
                        e.getKey() + "[" + i + "] numeric " + numeric + " checkpointed autograd " + grad[i]);
                checked++;
            }
            assertEquals(8, checked); // A and B of 2 targets in 2 layers
        }
    }

    /** The loss with one value moved by h, drawing the same dropout masks as the gradient's pass (same seed, same path). */
    private static double seededLoss(LlamaModel model, Parameter p, double[] values, int i, double h, NDManager m) {
        double[] changed = values.clone();
        changed[i] += h;
        p.data().set(DoubleBuffer.wrap(changed));
        try (NDManager step = m.newSubManager()) {
            Engine.getInstance().setRandomSeed(77);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) { // checkpointing engages when recording
                double out = loss(model, step).getDouble();
                model.clearCheckpoints();
                return out;
            }
        } finally {
            p.data().set(DoubleBuffer.wrap(values));
        }
    }

    private static NDArray loss(LlamaModel model, NDManager m) {
        return Losses.causalLm(model.forward(BATCH.inputIds(m), BATCH.attentionMask(m), null, null), BATCH.labels(m));
    }

    @Test
    void theTrainerChecksWhatItRunsAndTrainsTheSameWithOrWithout() {
        BatchSource batches = new BatchSource() {
            @Override
            public Batch batch(long index) {
                return BATCH;
            }

            @Override
            public String fingerprint() {
                return "fixed";
            }
        };
        double[][] losses = new double[2][];
        for (int run = 0; run < 2; run++) {
            boolean on = run == 1;
            try (LlamaModel model = TinyModels.model(21)) {
                PeftModel peft = Lora.apply(model, LoraConfig.builder().r(2).alpha(4).build());
                TrainResult result = Trainer.fit(peft, batches, null, TinyModels.quickTraining(3).logEvery(1).gradientCheckpointing(on));
                losses[run] = result.run().history().stream().filter(row -> row.containsKey("loss"))
                        .mapToDouble(row -> ((Number) row.get("loss")).doubleValue()).toArray();
                assertEquals(on, result.run().config().get("gradient_checkpointing_effective").asBoolean());
            }
        }
        assertEquals(3, losses[0].length);
        for (int s = 0; s < 3; s++) {
            assertEquals(losses[0][s], losses[1][s], 1e-5, "step " + (s + 1));
        }
    }
}
