package dev.tunelab.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.train.Batch;
import dev.tunelab.train.Losses;
import java.nio.DoubleBuffer;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Autograd gradients of every adapter parameter against central finite differences, in float64. */
class AdapterGradientCheckTest {
    static final Batch BATCH = new Batch(
            new long[][] {{1, 5, 3, 9, 2, 7}, {4, 4, 8, 0, 10, 6}},
            new long[][] {{-100, 5, 3, 9, 2, 7}, {4, 4, 8, 0, -100, -100}},
            new long[][] {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}});

    @Test
    void adapterGradientsMatchFiniteDifferences() {
        Map<String, Function<LlamaModel, PeftModel>> methods = Map.of(
                "lora", m -> {
                    PeftModel p = Lora.apply(m, LoraConfig.builder().r(2).alpha(4).targetModules("v_proj", "gate_proj").build());
                    Random r = new Random(1);
                    Lora.layers(m).values().forEach(l -> TinyModels.randomize(l.loraB("default"), r, 0.3));
                    return p;
                },
                "qlora", m -> {
                    PeftModel p = Lora.apply(Quantization.quantize(m, QuantFormat.NF4, true),
                            LoraConfig.builder().r(2).alpha(4).targetModules("q_proj", "down_proj").build());
                    Random r = new Random(2);
                    Lora.layers(m).values().forEach(l -> TinyModels.randomize(l.loraB("default"), r, 0.3));
                    return p;
                },
                "dora", m -> { // m's gradient through m / ||W + s B A||, the norm a constant as in PEFT
                    PeftModel p = Lora.apply(m, LoraConfig.builder().r(2).alpha(4).targetModules("k_proj", "up_proj")
                            .useDora(true).build());
                    Random r = new Random(4);
                    Lora.layers(m).values().forEach(l -> {
                        TinyModels.randomize(l.loraB("default"), r, 0.3);
                        TinyModels.randomize(l.magnitude("default"), r, 1.0);
                    });
                    return p;
                },
                "prompt", m -> PromptTuning.apply(m, PromptTuningConfig.builder().numVirtualTokens(2).build()),
                "prefix", m -> PrefixTuning.apply(m, PrefixTuningConfig.builder().numVirtualTokens(2).prefixProjection(true)
                        .encoderHiddenSize(6).build()),
                "ia3", m -> {
                    PeftModel p = Ia3.apply(m, Ia3Config.builder().build());
                    Random r = new Random(3);
                    Ia3.layers(m).values().forEach(l -> TinyModels.randomize(l.scale(), r, 1.0));
                    return p;
                });
        methods.forEach((name, method) -> {
            try (LlamaModel model = TinyModels.model64(21); NDManager m = model.manager().newSubManager()) {
                PeftModel peft = method.apply(model);
                Map<String, Parameter> params = peft.adapterParameters("default");
                assertEquals(params.keySet(), model.trainableParameters().keySet(), name);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(loss(model, m));
                }
                Random random = new Random(5);
                for (var e : params.entrySet()) {
                    if (name.equals("dora") && !e.getKey().contains("lora_magnitude_vector")) {
                        continue; // A and B: autograd treats DoRA's norm as a constant, finite differences do not (DoraTest checks B by hand)
                    }
                    Parameter p = e.getValue();
                    double[] grad;
                    try (NDArray g = p.gradient(p.data().getManager())) {
                        grad = g.toDoubleArray();
                    }
                    double[] values = p.data().toDoubleArray();
                    for (int trial = 0; trial < 2; trial++) {
                        int i = random.nextInt(values.length);
                        double h = 1e-6;
                        double numeric = (perturbed(model, p, values, i, h, m) - perturbed(model, p, values, i, -h, m)) / (2 * h);
                        double scale = Math.max(1e-6, Math.abs(numeric) + Math.abs(grad[i]));
                        assertTrue(Math.abs(numeric - grad[i]) < 1e-9 || Math.abs(numeric - grad[i]) / scale < 1e-5,
                                name + " " + e.getKey() + "[" + i + "] numeric " + numeric + " autograd " + grad[i]);
                    }
                }
            }
        });
    }

    private static NDArray loss(LlamaModel model, NDManager m) {
        return Losses.causalLm(model.forward(BATCH.inputIds(m), BATCH.attentionMask(m), null, null), BATCH.labels(m));
    }

    private static double perturbed(LlamaModel model, Parameter p, double[] values, int i, double h, NDManager m) {
        return Autograd.noGrad(() -> {
            double[] changed = values.clone();
            changed[i] += h;
            p.data().set(DoubleBuffer.wrap(changed));
            try (NDManager step = m.newSubManager()) {
                double out = loss(model, step).getDouble();
                p.data().set(DoubleBuffer.wrap(values));
                return out;
            }
        });
    }
}
