package dev.tunelab.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.Dense;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.train.Trainer;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NF4 / int4 / int8 block quantization, double quantization, QuantizedLinear and QLoRA. */
class QuantizationTest {
    /** Written by make_nf4_fixture.py (numpy + scipy) next to it, implementing bitsandbytes' algorithm independently. */
    static JsonNode fixture() throws Exception {
        return new ObjectMapper().readTree(Path.of("src/test/resources/peft/nf4_fixture.json").toFile());
    }

    static float[] fixtureInput() {
        float[] x = new float[64 * 260];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (Math.sin(0.7 * i) * (1 + i % 7) * (1 + (i / 64) % 5) * 0.05);
        }
        return x;
    }

    static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    @Test
    void codeBooksMatchTheirDefinitions() throws Exception {
        JsonNode f = fixture();
        // the published NF4 table is bitsandbytes' create_normal_map: quantiles of N(0, 1), scaled to [-1, 1]
        assertArrayEquals(floats(f.get("normal_map")), Nf4.codeBook(), 1e-6f);
        assertEquals(16, Nf4.codeBook().length);
        assertArrayEquals(floats(f.get("dynamic_map")), DynamicMap.SIGNED, 1e-7f);
        assertArrayEquals(new float[] {-8 / 7f, -1, -6 / 7f}, java.util.Arrays.copyOf(QuantFormat.INT4.codeBook(), 3), 0);
        assertEquals(1f, QuantFormat.INT8.codeBook()[255]);
    }

    @Test
    void nf4MatchesTheIndependentReference() throws Exception {
        JsonNode f = fixture();
        float[] x = fixtureInput();
        BlockQuantized q = BlockQuantized.quantize(x, QuantFormat.NF4, 64, false);
        assertEquals(f.get("packed_codes_hex").asText(), HexFormat.of().formatHex(q.codes()));
        assertArrayEquals(floats(f.get("absmax")), q.absmax(), 0f);
        float[] dq = q.dequantize();
        assertArrayEquals(floats(f.get("dequantized_first_256")), java.util.Arrays.copyOf(dq, 256), 1e-7f);
        assertEquals(f.get("mse").asDouble(), mse(x, dq), 1e-9);

        BlockQuantized d = BlockQuantized.quantize(x, QuantFormat.NF4, 64, true);
        assertEquals(f.get("packed_codes_hex").asText(), HexFormat.of().formatHex(d.codes()));
        assertEquals((float) f.get("absmax_offset").asDouble(), d.absmaxOffset(), 0f);
        String codes = HexFormat.of().formatHex(d.absmaxCodes());
        assertEquals(f.get("absmax_codes_hex").asText(), codes.substring(0, 2 * 260), "first 260 codes (the rest is padding)");
        assertArrayEquals(floats(f.get("absmax2")), d.absmax2(), 0f);
        assertArrayEquals(floats(f.get("dequantized_dq_first_256")), java.util.Arrays.copyOf(d.dequantize(), 256), 1e-7f);
        assertEquals(f.get("mse_dq").asDouble(), mse(x, d.dequantize()), 1e-9);
    }

    @Test
    void packsTwoCodesPerByteHighNibbleFirst() {
        float[] x = {1f, -1f, 0f, 0.1f}; // absmax 1: codes 15, 0, 7, 8 (0.0796 is the nearest NF4 value to 0.1)
        BlockQuantized q = BlockQuantized.quantize(x, QuantFormat.NF4, 64, false);
        assertEquals((byte) 0xF0, q.codes()[0]);
        assertEquals((byte) 0x78, q.codes()[1]);
        assertEquals(0.07958029955625534f, q.dequantize()[3], 0);
    }

    static double mse(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
        }
        return s / a.length;
    }

    @Test
    void nf4BeatsInt4OnNormalWeights() {
        Random r = new Random(11);
        float[] x = new float[64 * 1024];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        double nf4 = mse(x, BlockQuantized.quantize(x, QuantFormat.NF4, 64, false).dequantize());
        double nf4dq = mse(x, BlockQuantized.quantize(x, QuantFormat.NF4, 64, true).dequantize());
        double int4 = mse(x, BlockQuantized.quantize(x, QuantFormat.INT4, 64, false).dequantize());
        double int8 = mse(x, BlockQuantized.quantize(x, QuantFormat.INT8, 64, false).dequantize());
        assertTrue(nf4 < int4, "NF4 " + nf4 + " vs int4 " + int4);
        assertTrue(nf4dq < int4 && nf4dq < 1.01 * nf4, "double quantization costs little: " + nf4dq + " vs " + nf4);
        assertTrue(int8 < nf4 / 10, "int8 " + int8);
        // uniform rounding with step absmax/7: error variance step^2 / 12 (absmax of 64 normals is about 2.4)
        assertEquals(Math.pow(2.4 / 7, 2) / 12, int4, 0.003);
    }

    @Test
    void bitsPerParameterAreQloraFigures() {
        WeightMemory m = WeightMemory.of(4096L * 4096);
        assertEquals(4 + 8.0 / 64 + 32.0 / (64 * 256), m.bitsPerParameter("nf4+dq"), 1e-5, "QLoRA paper: 4.127 bits");
        assertEquals(4.127, m.bitsPerParameter("nf4+dq"), 5e-4);
        assertEquals(4.5, m.bitsPerParameter("nf4"), 0);
        assertEquals(4.5, m.bitsPerParameter("int4"), 0);
        assertEquals(8.5, m.bitsPerParameter("int8"), 0);
        assertEquals(16, m.bitsPerParameter("bf16"), 0);
        assertEquals(32, m.bitsPerParameter("fp32"), 0);
        // one tensor of 64 * 256 * 4 values: codes n/2, one byte per block, 4 fp32 second-level absmax, one fp32 offset
        assertEquals(32768 + 1024 + 16 + 4, WeightMemory.of(65536).bytes("nf4+dq"));
    }

    @Test
    void quantizedLinearDequantizesOnTheFly() {
        try (NDManager m = NDManager.newBaseManager()) {
            Random r = new Random(2);
            float[] w = new float[24 * 128];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (r.nextGaussian() * 0.1);
            }
            float[] x = new float[3 * 128];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            for (boolean dq : new boolean[] {false, true}) {
                for (QuantFormat format : QuantFormat.values()) {
                    BlockQuantized q = BlockQuantized.quantize(w, format, 64, dq);
                    QuantizedLinear layer = new QuantizedLinear(q, 24, 128, null, m, DataType.FLOAT32);
                    float[] wq = q.dequantize();
                    float[] y = Autograd.noGrad(() -> layer.forward(m.create(x, new Shape(3, 128))).toFloatArray());
                    for (int n = 0; n < 3; n++) {
                        for (int o = 0; o < 24; o++) {
                            double expected = 0;
                            for (int j = 0; j < 128; j++) {
                                expected += x[n * 128 + j] * wq[o * 128 + j];
                            }
                            assertEquals(expected, y[n * 24 + o], 1e-4, format + " dq=" + dq);
                        }
                    }
                    assertEquals(q.storageBytes(), layer.storageBytes());
                }
            }
        }
    }

    @Test
    void quantizingALayerInNativeMemoryGivesTheJavaQuantizationBitForBit() {
        try (NDManager m = NDManager.newBaseManager()) {
            Random r = new Random(4);
            float[] w = new float[24 * 160]; // 60 blocks of 64: the double quantization's last block is partial
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (r.nextGaussian() * 0.05);
            }
            for (DataType stored : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
                NDArray weight = m.create(w, new Shape(24, 160)).toType(stored, false);
                float[] values = weight.toType(DataType.FLOAT32, false).toFloatArray();
                for (boolean dq : new boolean[] {false, true}) {
                    for (QuantFormat format : QuantFormat.values()) {
                        QuantizedLinear layer = QuantizedLinear.of(new Dense(weight, null), format, dq, m, DataType.FLOAT32);
                        BlockQuantized q = BlockQuantized.quantize(values, format, BlockQuantized.BLOCK, dq);
                        float[] rebuilt = Autograd.noGrad(() -> layer.dequantizedWeight(m).toFloatArray());
                        assertArrayEquals(q.dequantize(), rebuilt, 0f, format + " dq=" + dq + " from " + stored);
                        assertEquals(q.storageBytes(), layer.storageBytes());
                    }
                }
            }
        }
    }

    @Test
    void qloraTrainsAdaptersOnlyAndMergesBackIntoANormalModel(@TempDir Path tmp) throws Exception {
        try (LlamaModel model = TinyModels.model(5)) {
            float[] full = TinyModels.logits(model);
            Quantization.quantize(model, QuantFormat.NF4, true);
            assertTrue(model.namedModules().get("model.layers.0.self_attn.q_proj") instanceof QuantizedLinear);
            assertTrue(model.namedModules().get("lm_head") instanceof Dense, "the LM head stays in full precision");
            float[] quantized = TinyModels.logits(model);
            assertTrue(TinyModels.maxAbsDiff(full, quantized) > 0, "4-bit weights change the logits");
            try (LlamaModel reference = TinyModels.model(5)) { // the same model with weights rounded in Java
                Quantization.decoderLinears(reference).values().forEach(d -> {
                    float[] w = d.weight().data().toFloatArray();
                    float[] rounded = BlockQuantized.quantize(w, QuantFormat.NF4, 64, true).dequantize();
                    d.weight().set(reference.manager().create(rounded, d.weight().data().getShape()));
                });
                assertTrue(TinyModels.maxAbsDiff(TinyModels.logits(reference), quantized) < 1e-5);
            }

            PeftModel peft = Lora.apply(model, LoraConfig.builder().r(4).alpha(8).allLinear().build());
            assertArrayEquals(quantized, TinyModels.logits(model), "fresh LoRA on NF4: unchanged");
            long linearWeights = 2L * (16 * 16 + 8 * 16 + 8 * 16 + 16 * 16 + 3 * 32 * 16);
            assertEquals(model.parameterCount() + linearWeights, peft.parameterCounts().total(),
                    "quantized weights count as the parameters they store");
            Map<String, Parameter> all = model.namedParameters();
            Map<String, float[]> before = TinyModels.snapshot(all);
            Trainer.fit(model, LoraTest.counting(3_000, 2), null, TinyModels.quickTraining(10));
            Map<String, float[]> after = TinyModels.snapshot(all);
            for (String name : all.keySet()) {
                if (name.contains(".lora_")) {
                    assertTrue(!java.util.Arrays.equals(before.get(name), after.get(name)) || name.contains("lora_A"), name);
                } else {
                    assertArrayEquals(before.get(name), after.get(name), name);
                    assertNull(all.get(name).gradient(all.get(name).data().getManager()), name);
                }
            }
            float[] adapted = TinyModels.logits(model);

            LlamaModel merged = peft.mergeAndUnload();
            assertTrue(merged.namedModules().values().stream().noneMatch(mod -> mod instanceof LoraLinear || mod instanceof QuantizedLinear));
            assertTrue(TinyModels.maxAbsDiff(adapted, TinyModels.logits(merged)) < 1e-4);
            merged.save(tmp);
        }
        try (LlamaModel reloaded = LlamaModel.load(tmp)) {
            assertEquals(TinyModels.config(), reloaded.config());
            assertEquals(LlamaModel.expectedShapes(TinyModels.config()).keySet(), reloaded.namedParameters().keySet(),
                    "saved as a normal checkpoint");
        }
    }

    @Test
    void memoryReportCountsDecoderLinears() {
        try (LlamaModel model = TinyModels.model(1)) {
            WeightMemory m = Quantization.memory(model);
            long n = 2L * (16 * 16 + 8 * 16 + 8 * 16 + 16 * 16 + 3 * 32 * 16);
            assertEquals(n, m.parameters());
            assertEquals(4 * n, m.bytes("fp32"));
            Quantization.quantize(model, QuantFormat.NF4, true);
            long stored = model.namedModules().values().stream().filter(x -> x instanceof QuantizedLinear)
                    .mapToLong(x -> ((QuantizedLinear) x).storageBytes()).sum();
            assertEquals(m.bytes("nf4+dq"), stored, "the report agrees with what the quantized layers hold");
            assertTrue(m.toString().contains("nf4+dq"));
            Lora.apply(model, LoraConfig.builder().allLinear().build());
            assertEquals(m, Quantization.memory(model), "adapters are not base weights; quantized bases still count");
        }
    }

    @Test
    void dequantizedDenseHasTheReconstructedWeight() {
        try (LlamaModel model = TinyModels.model(1)) {
            float[] w = ((Dense) model.namedModules().get("model.layers.0.mlp.up_proj")).weight().data().toFloatArray();
            Quantization.quantize(model, QuantFormat.INT8, false);
            QuantizedLinear q = (QuantizedLinear) model.namedModules().get("model.layers.0.mlp.up_proj");
            NDArray back = QuantizedLinear.dequantizeToDense(q, model.manager()).weight().data();
            assertArrayEquals(BlockQuantized.quantize(w, QuantFormat.INT8, 64, false).dequantize(), back.toFloatArray(), 1e-7f);
        }
    }
}
