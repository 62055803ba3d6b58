package dev.tunelab.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tunelab.display.MimeBundles;
import dev.tunelab.model.Dense;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.io.SafeTensors;
import dev.tunelab.io.SafeTensorsFile;
import dev.tunelab.train.BatchSource;
import dev.tunelab.train.Checkpoints;
import dev.tunelab.train.TrainConfig;
import dev.tunelab.train.TrainResult;
import dev.tunelab.train.TokenWindows;
import dev.tunelab.train.Trainer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraTest {
    static BatchSource counting(int length, long seed) {
        long[] t = new long[length];
        for (int i = 0; i < length; i++) {
            t[i] = (i * 7 + i / 13) % 32;
        }
        return new TokenWindows(t, 4, 12, seed);
    }

    @Test
    void freshAdapterLeavesLogitsExactlyUnchanged() {
        try (LlamaModel model = TinyModels.model(1)) {
            float[] before = TinyModels.logits(model);
            PeftModel peft = Lora.apply(model, LoraConfig.builder().r(4).alpha(8).allLinear().build());
            assertArrayEquals(before, TinyModels.logits(peft.model()));
            assertEquals(14, Lora.layers(model).size(), "all-linear: 7 per layer, no lm_head");
            assertFalse(Lora.layers(model).containsKey("lm_head"));
        }
    }

    @Test
    void initialisationIsKaimingUniformAndZero() {
        try (LlamaModel model = TinyModels.model(1)) {
            Lora.apply(model, LoraConfig.builder().r(8).targetModules("gate_proj").build());
            LoraLinear lora = Lora.layers(model).get("model.layers.0.mlp.gate_proj");
            float[] a = lora.loraA("default").data().toFloatArray();
            assertEquals(new Shape(8, 16), lora.loraA("default").data().getShape());
            assertEquals(new Shape(32, 8), lora.loraB("default").data().getShape());
            double bound = 1 / Math.sqrt(16); // kaiming_uniform_(a=sqrt(5)) on fan_in 16
            double max = 0;
            double sum = 0;
            for (float v : a) {
                assertTrue(Math.abs(v) <= bound, "A value " + v + " beyond " + bound);
                max = Math.max(max, Math.abs(v));
                sum += v;
            }
            assertTrue(max > 0.9 * bound, "128 uniform draws should come near the bound, max " + max);
            assertTrue(Math.abs(sum / a.length) < 0.05, "uniform on a symmetric interval has mean ~0");
            for (float v : lora.loraB("default").data().toFloatArray()) {
                assertEquals(0f, v);
            }
        }
    }

    @Test
    void scalingIsAlphaOverROrOverSqrtR() {
        assertEquals(2.0, LoraConfig.builder().r(8).alpha(16).build().scaling(), 0);
        assertEquals(16 / Math.sqrt(8), LoraConfig.builder().r(8).alpha(16).useRslora(true).build().scaling(), 1e-15);
    }

    /** y = x W^T + s x A^T B^T and its gradients written out by hand, in float64. */
    @Test
    void forwardAndGradientsMatchClosedForm() {
        for (boolean rslora : new boolean[] {false, true}) {
            try (NDManager m = NDManager.newBaseManager()) {
                Random r = new Random(5);
                double[][] w = randomMatrix(r, 3, 4);
                double[][] a = randomMatrix(r, 2, 4);
                double[][] b = randomMatrix(r, 3, 2);
                double[][] x = randomMatrix(r, 5, 4);
                double[][] g = randomMatrix(r, 5, 3); // loss = sum(y * g)
                LoraConfig config = LoraConfig.builder().r(2).alpha(3).useRslora(rslora).targetModules("any").build();
                double s = rslora ? 3 / Math.sqrt(2) : 1.5;
                Dense base = new Dense(m.create(w), null);
                LoraLinear lora = new LoraLinear(base, m, DataType.FLOAT64);
                lora.addAdapter("default", config, m.create(a), m.create(b));
                NDArray input = m.create(x);
                double[] y;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray out = lora.forward(input);
                    y = out.toDoubleArray();
                    gc.backward(out.mul(m.create(g)).sum());
                }
                for (int n = 0; n < 5; n++) {
                    for (int o = 0; o < 3; o++) {
                        double expected = 0;
                        for (int j = 0; j < 4; j++) {
                            expected += x[n][j] * w[o][j];
                        }
                        for (int i = 0; i < 2; i++) {
                            double ax = 0;
                            for (int j = 0; j < 4; j++) {
                                ax += a[i][j] * x[n][j];
                            }
                            expected += s * b[o][i] * ax;
                        }
                        assertEquals(expected, y[n * 3 + o], 1e-12);
                    }
                }
                double[] gradA = lora.loraA("default").gradient(lora.loraA("default").data().getManager()).toDoubleArray();
                double[] gradB = lora.loraB("default").gradient(lora.loraB("default").data().getManager()).toDoubleArray();
                for (int i = 0; i < 2; i++) {
                    for (int j = 0; j < 4; j++) { // dL/dA[i][j] = s sum_n sum_o g[n][o] B[o][i] x[n][j]
                        double expected = 0;
                        for (int n = 0; n < 5; n++) {
                            for (int o = 0; o < 3; o++) {
                                expected += s * g[n][o] * b[o][i] * x[n][j];
                            }
                        }
                        assertEquals(expected, gradA[i * 4 + j], 1e-12);
                    }
                }
                for (int o = 0; o < 3; o++) {
                    for (int i = 0; i < 2; i++) { // dL/dB[o][i] = s sum_n g[n][o] (A x_n)[i]
                        double expected = 0;
                        for (int n = 0; n < 5; n++) {
                            double ax = 0;
                            for (int j = 0; j < 4; j++) {
                                ax += a[i][j] * x[n][j];
                            }
                            expected += s * g[n][o] * ax;
                        }
                        assertEquals(expected, gradB[o * 2 + i], 1e-12);
                    }
                }
                assertNull(base.weight().gradient(base.weight().data().getManager()), "the frozen base weight gets no gradient");
                assertFalse(base.weight().trainable());
            }
        }
    }

    static double[][] randomMatrix(Random r, int rows, int cols) {
        double[][] v = new double[rows][cols];
        for (double[] row : v) {
            for (int j = 0; j < cols; j++) {
                row[j] = r.nextGaussian();
            }
        }
        return v;
    }

    @Test
    void mergeGivesTheSameLogitsAndUnmergeRestoresTheBase() {
        try (LlamaModel model = TinyModels.model(2)) {
            Map<String, float[]> base = TinyModels.snapshot(model.namedParameters());
            PeftModel peft = Lora.apply(model, LoraConfig.builder().r(4).alpha(8).allLinear().build());
            Random random = new Random(9);
            Lora.layers(model).values().forEach(l -> TinyModels.randomize(l.loraB("default"), random, 0.2));
            float[] unmerged = TinyModels.logits(model);
            peft.merge();
            float[] merged = TinyModels.logits(model);
            assertTrue(TinyModels.maxAbsDiff(unmerged, merged) < 1e-5, "merged vs unmerged " + TinyModels.maxAbsDiff(unmerged, merged));
            assertTrue(TinyModels.maxAbsDiff(unmerged, TinyModels.logits(TinyModels.model(2))) > 1e-2, "the adapter changes the output");
            peft.unmerge();
            assertTrue(TinyModels.maxAbsDiff(unmerged, TinyModels.logits(model)) < 1e-5);
            String q = "model.layers.1.self_attn.q_proj";
            float[] restored = ((Dense) Lora.layers(model).get(q).base()).weight().data().toFloatArray();
            float[] original = base.get(q + ".weight");
            for (int i = 0; i < original.length; i++) {
                assertEquals(original[i], restored[i], 1e-6);
            }
        }
    }

    @Test
    void trainingChangesOnlyAdapterParameters() {
        try (LlamaModel model = TinyModels.model(3)) {
            PeftModel peft = Lora.apply(model, LoraConfig.builder().r(4).alpha(8).dropout(0.1).targetModules("q_proj", "v_proj").build());
            Map<String, Parameter> all = model.namedParameters();
            Set<String> adapterNames = peft.adapterParameters("default").keySet();
            assertEquals(adapterNames, model.trainableParameters().keySet(), "the Trainer's AdamW sees adapter parameters only");
            Map<String, float[]> before = TinyModels.snapshot(all);

            Trainer.fit(model, counting(5_000, 1), null, TinyModels.quickTraining(50));

            Map<String, float[]> after = TinyModels.snapshot(all);
            for (String name : all.keySet()) {
                if (adapterNames.contains(name)) {
                    assertFalse(java.util.Arrays.equals(before.get(name), after.get(name)), name + " should have trained");
                } else {
                    assertArrayEquals(before.get(name), after.get(name), name + " must stay bit-identical");
                    assertNull(all.get(name).gradient(all.get(name).data().getManager()), name + " must not hold a gradient");
                }
            }
        }
    }

    @Test
    void loraRunsCheckpointOnlyAdaptersAndResume(@TempDir Path tmp) throws Exception {
        LoraConfig config = LoraConfig.builder().r(2).alpha(4).targetModules("q_proj", "v_proj").build();
        TrainConfig train = new TrainConfig().steps(6).learningRate(1e-2).logEvery(1).runsDir(tmp.resolve("runs"))
                .progress(false).seed(4);
        TrainResult straight;
        long trainable;
        try (LlamaModel model = TinyModels.model(3)) {
            trainable = Lora.apply(model, config).parameterCounts().trainable();
            straight = Trainer.fit(model, counting(2_000, 1), null, train.checkpointDir(tmp.resolve("a")));
        }
        try (LlamaModel model = TinyModels.model(3)) {
            Lora.apply(model, config);
            Trainer.fit(model, counting(2_000, 1), null, train.checkpointDir(tmp.resolve("b")).stopAfter(3));
        }
        TrainResult resumed;
        try (LlamaModel model = TinyModels.model(3)) {
            Lora.apply(model, config.toBuilder().seed(99).build()); // a different A: it must come from the checkpoint
            resumed = Trainer.fit(model, counting(2_000, 1), null, train.checkpointDir(tmp.resolve("b")).stopAfter(-1));
        }
        assertEquals(3, resumed.startStep());
        for (int i = 0; i < 6; i++) {
            assertEquals(((Number) straight.run().history().get(i).get("loss")).doubleValue(),
                    ((Number) resumed.run().history().get(i).get("loss")).doubleValue(), 1e-6, "loss at step " + (i + 1));
        }
        Path checkpoint = Checkpoints.latest(tmp.resolve("a")).orElseThrow().dir();
        try (SafeTensorsFile optimizer = SafeTensors.open(checkpoint.resolve("optimizer.safetensors"));
                SafeTensorsFile weights = SafeTensors.open(checkpoint.resolve("model.safetensors"))) {
            assertEquals(2 * 2 * 2, weights.size(), "A and B of q_proj and v_proj in 2 layers");
            long moments = optimizer.infos().stream().mapToLong(i -> java.util.Arrays.stream(i.shape()).reduce(1, (x, y) -> x * y)).sum();
            assertEquals(2 * trainable, moments, "AdamW keeps two moments per adapter parameter and none for the base");
        }
    }

    @Test
    void parameterCountsFollowTheShapes() {
        try (LlamaModel model = TinyModels.model(1)) {
            long total = model.parameterCount();
            PeftModel peft = Lora.apply(model, LoraConfig.builder().r(4).targetModules("q_proj", "v_proj").build());
            // per layer: q (16 -> 16) and v (16 -> 8, two KV heads of 4): r (in + out) each
            long expected = 2 * (4 * (16 + 16) + 4 * (16 + 8));
            ParameterCounts counts = peft.parameterCounts();
            assertEquals(expected, counts.trainable());
            assertEquals(total + expected, counts.total());
            assertEquals(String.format("trainable params: %,d || all params: %,d || trainable%%: %.4f",
                    expected, total + expected, 100.0 * expected / (total + expected)), counts.toString());
            assertTrue(MimeBundles.of(peft).get(MimeBundles.HTML).contains(String.format("%,d", expected)));
        }
    }

    @Test
    void targetsByNameAndPattern() {
        try (LlamaModel model = TinyModels.model(1)) {
            Lora.apply(model, LoraConfig.builder().targetPattern("model\\.layers\\.1\\..*_proj").build());
            assertEquals(Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
                    Lora.layers(model).keySet().stream().peek(p -> assertTrue(p.startsWith("model.layers.1.")))
                            .map(p -> p.substring(p.lastIndexOf('.') + 1)).collect(Collectors.toSet()));
        }
        try (LlamaModel model = TinyModels.model(1)) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> Lora.apply(model, LoraConfig.builder().targetModules("c_attn").build()));
            assertTrue(e.getMessage().contains("c_attn") && e.getMessage().contains("q_proj"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> LoraConfig.builder().bias("all").build());
    }

    @Test
    void namedAdaptersSwitchAndDisable() {
        try (LlamaModel model = TinyModels.model(4)) {
            float[] base = TinyModels.logits(model);
            PeftModel peft = Lora.apply(model, LoraConfig.builder().r(2).targetModules("q_proj", "v_proj").build());
            peft.addAdapter("other", LoraConfig.builder().r(4).alpha(4).targetModules("o_proj").seed(1).build());
            assertEquals("default", peft.activeAdapter());
            assertEquals(peft.adapterParameters("default").keySet(), model.trainableParameters().keySet(),
                    "adding an adapter keeps the active one trainable");
            Random random = new Random(1);
            Lora.layers(model).values().forEach(l -> l.adapters().forEach(a -> TinyModels.randomize(l.loraB(a), random, 0.3)));
            float[] first = TinyModels.logits(model);

            peft.setAdapter("other");
            float[] second = TinyModels.logits(model);
            assertTrue(TinyModels.maxAbsDiff(first, second) > 1e-3);
            assertEquals(peft.adapterParameters("other").keySet(), model.trainableParameters().keySet(),
                    "only the active adapter trains");

            float[] disabled = peft.withAdaptersDisabled(() -> TinyModels.logits(model));
            assertArrayEquals(base, disabled, "adapters off: exactly the base model");
            assertArrayEquals(second, TinyModels.logits(model), "re-enabled");
            peft.setAdapter("default");
            assertArrayEquals(first, TinyModels.logits(model));
            assertNotEquals(0, peft.parameterCounts().trainable());
        }
    }
}
