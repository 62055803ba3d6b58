package dev.tunelab.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.io.SafeTensors;
import dev.tunelab.io.SafeTensorsFile;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.Dense;
import dev.tunelab.model.LlamaModel;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DoRA (Liu et al. 2024) against its closed form: W' = m (W + s B A) / ||W + s B A|| per output row. */
class DoraTest {
    private static PeftModel trainedDora(LlamaModel model) {
        PeftModel peft = Lora.apply(model, LoraConfig.builder().r(2).alpha(4).allLinear().useDora(true).build());
        Random random = new Random(11);
        Lora.layers(model).values().forEach(l -> {
            TinyModels.randomize(l.loraB("default"), random, 0.3);
            NDArray old = l.magnitude("default").data();
            double[] m = old.toType(ai.djl.ndarray.types.DataType.FLOAT64, true).toDoubleArray();
            for (int i = 0; i < m.length; i++) {
                m[i] *= 0.5 + random.nextDouble(); // magnitudes that differ from the norms
            }
            l.magnitude("default").set(model.manager().create(m, new Shape(m.length)).toType(old.getDataType(), false));
        });
        return peft;
    }

    @Test
    void atInitTheModelIsTheBaseAndMIsTheRowNormOfW() {
        try (LlamaModel model = TinyModels.model(1)) {
            float[] before = TinyModels.logits(model);
            float[] w = ((Dense) model.module("model.layers.0.self_attn.q_proj")).weight().data().toFloatArray();
            Lora.apply(model, LoraConfig.builder().r(4).alpha(8).allLinear().useDora(true).build());
            assertTrue(TinyModels.maxAbsDiff(before, TinyModels.logits(model)) < 1e-5, "m / ||W|| = 1 and B = 0");
            LoraLinear q = Lora.layers(model).get("model.layers.0.self_attn.q_proj");
            float[] m = q.magnitude("default").data().toFloatArray();
            assertEquals(16, m.length, "one magnitude per output row");
            for (int o = 0; o < 16; o++) {
                double norm = 0;
                for (int i = 0; i < 16; i++) {
                    norm += w[o * 16 + i] * w[o * 16 + i];
                }
                assertEquals(Math.sqrt(norm), m[o], 1e-5, "m_" + o + " = ||W[o, :]||");
            }
            assertTrue(q.magnitude("default").trainable());
        }
    }

    @Test
    void layerForwardEqualsTheClosedFormComputedByHand() {
        try (LlamaModel model = TinyModels.model64(2); NDManager m = model.manager().newSubManager()) {
            trainedDora(model);
            LoraLinear l = Lora.layers(model).get("model.layers.1.mlp.down_proj"); // (16, 32)
            double[] w = ((Dense) l.base()).weight().data().toDoubleArray();
            double[] a = l.loraA("default").data().toDoubleArray(); // (2, 32)
            double[] b = l.loraB("default").data().toDoubleArray(); // (16, 2)
            double[] mag = l.magnitude("default").data().toDoubleArray();
            double s = 4.0 / 2;
            int out = 16;
            int in = 32;
            double[] merged = new double[out * in];
            for (int o = 0; o < out; o++) {
                double norm = 0;
                for (int i = 0; i < in; i++) {
                    double v = w[o * in + i] + s * (b[o * 2] * a[i] + b[o * 2 + 1] * a[in + i]);
                    merged[o * in + i] = v;
                    norm += v * v;
                }
                for (int i = 0; i < in; i++) {
                    merged[o * in + i] *= mag[o] / Math.sqrt(norm);
                }
            }
            Random random = new Random(3);
            double[] x = new double[3 * in];
            for (int i = 0; i < x.length; i++) {
                x[i] = random.nextGaussian();
            }
            double[] y = Autograd.noGrad(() -> l.forward(m.create(x, new Shape(3, in))).toDoubleArray());
            for (int t = 0; t < 3; t++) {
                for (int o = 0; o < out; o++) {
                    double expected = 0;
                    for (int i = 0; i < in; i++) {
                        expected += merged[o * in + i] * x[t * in + i];
                    }
                    assertEquals(expected, y[t * out + o], 1e-10, "row " + t + ", output " + o);
                }
            }
        }
    }

    @Test
    void forwardEqualsTheMergedWeightAndUnmergeRestoresTheBase() {
        try (LlamaModel model = TinyModels.model(3)) {
            float[] base = TinyModels.logits(model);
            float[] baseQ = ((Dense) model.module("model.layers.0.self_attn.q_proj")).weight().data().toFloatArray();
            PeftModel peft = trainedDora(model);
            float[] adapted = TinyModels.logits(model);
            assertTrue(TinyModels.maxAbsDiff(base, adapted) > 1e-2, "the trained adapter changes the model");
            peft.merge();
            assertTrue(TinyModels.maxAbsDiff(adapted, TinyModels.logits(model)) < 1e-5,
                    "merged: " + TinyModels.maxAbsDiff(adapted, TinyModels.logits(model)));
            peft.unmerge();
            LoraLinear q = Lora.layers(model).get("model.layers.0.self_attn.q_proj");
            assertTrue(TinyModels.maxAbsDiff(baseQ, ((Dense) q.base()).weight().data().toFloatArray()) < 1e-6);
            assertTrue(TinyModels.maxAbsDiff(adapted, TinyModels.logits(model)) < 1e-5);
            LlamaModel plain = peft.mergeAndUnload();
            assertTrue(Lora.layers(plain).isEmpty());
            assertTrue(TinyModels.maxAbsDiff(adapted, TinyModels.logits(plain)) < 1e-5);
        }
    }

    @Test
    void onAQuantizedBaseTheNormIsOfTheDequantizedWeight() {
        try (LlamaModel model = TinyModels.model(4)) {
            Quantization.quantize(model, QuantFormat.NF4, true);
            float[] quantized = TinyModels.logits(model);
            PeftModel peft = Lora.apply(model, LoraConfig.builder().r(2).alpha(4).targetModules("q_proj", "up_proj")
                    .useDora(true).build());
            assertTrue(TinyModels.maxAbsDiff(quantized, TinyModels.logits(model)) < 1e-5, "QDoRA starts as the NF4 model");
            Random random = new Random(5);
            Lora.layers(model).values().forEach(l -> TinyModels.randomize(l.loraB("default"), random, 0.3));
            float[] adapted = TinyModels.logits(model);
            LlamaModel plain = peft.mergeAndUnload(); // dequantizes, then merges DoRA's rescaled weight
            assertTrue(TinyModels.maxAbsDiff(adapted, TinyModels.logits(plain)) < 1e-5);
        }
    }

    @Test
    void savesPeftsMagnitudeKeyAndLoadsBack(@TempDir Path tmp) throws Exception {
        float[] expected;
        try (LlamaModel model = TinyModels.model(5)) {
            PeftModel peft = trainedDora(model);
            expected = TinyModels.logits(model);
            peft.save(tmp);
        }
        JsonNode config = new ObjectMapper().readTree(tmp.resolve("adapter_config.json").toFile());
        assertEquals(true, config.get("use_dora").asBoolean());
        try (SafeTensorsFile f = SafeTensors.open(tmp.resolve("adapter_model.safetensors"))) {
            assertEquals(3 * 2 * 7, f.size(), "A, B and m for 14 layers");
            String key = "base_model.model.model.layers.0.mlp.gate_proj.lora_magnitude_vector.weight";
            assertTrue(f.contains(key), f.names().toString());
            assertArrayEquals(new long[] {32}, f.info(key).shape());
        }
        try (LlamaModel fresh = TinyModels.model(5)) {
            PeftModel loaded = PeftModel.load(fresh, tmp);
            assertTrue(((LoraConfig) loaded.config()).useDora());
            assertArrayEquals(expected, TinyModels.logits(fresh));
            assertEquals(3 * 2 * 7, loaded.adapterParameters("default").size());
            assertTrue(loaded.adapterParameters("default").containsKey(
                    "model.layers.1.self_attn.v_proj.lora_magnitude_vector.default.weight"));
        }
    }

    @Test
    void theNormIsAConstantOfTheGraph() {
        // PEFT detaches ||W + s B A||: the gradient of B is then s * (m / norm) * (dL/dy) x^T A^T-wise,
        // the plain LoRA gradient rescaled per row, which this checks on one layer with L = sum(y).
        try (LlamaModel model = TinyModels.model64(6); NDManager m = model.manager().newSubManager()) {
            trainedDora(model);
            LoraLinear l = Lora.layers(model).get("model.layers.0.self_attn.o_proj"); // (16, 16)
            double[] a = l.loraA("default").data().toDoubleArray(); // (2, 16)
            double[] mag = l.magnitude("default").data().toDoubleArray();
            double[] w = ((Dense) l.base()).weight().data().toDoubleArray();
            double[] b = l.loraB("default").data().toDoubleArray();
            double s = 2;
            double[] x = new double[16];
            for (int i = 0; i < 16; i++) {
                x[i] = Math.sin(i + 1);
            }
            try (var gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                gc.backward(l.forward(m.create(x, new Shape(1, 16))).sum());
            }
            double[] gradB;
            try (NDArray g = l.loraB("default").gradient(m)) {
                gradB = g.toDoubleArray();
            }
            for (int o = 0; o < 16; o++) {
                double norm = 0;
                for (int i = 0; i < 16; i++) {
                    double v = w[o * 16 + i] + s * (b[o * 2] * a[i] + b[o * 2 + 1] * a[16 + i]);
                    norm += v * v;
                }
                for (int k = 0; k < 2; k++) {
                    double ax = 0;
                    for (int i = 0; i < 16; i++) {
                        ax += a[k * 16 + i] * x[i];
                    }
                    assertEquals(s * mag[o] / Math.sqrt(norm) * ax, gradB[o * 2 + k], 1e-10, "dL/dB[" + o + "," + k + "]");
                }
            }
            l.loraB("default").zeroGradient();
        }
    }
}
