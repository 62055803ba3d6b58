package dev.tunelab.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.model.Dense;
import dev.tunelab.model.LlamaModel;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PiSSA, OLoRA and LoftQ initialisation: A and B from the base weight, the model unchanged (or closer to W). */
class LoraInitTest {
    private static double[][] gaussian(int rows, int cols, long seed) {
        Random random = new Random(seed);
        double[][] w = new double[rows][cols];
        for (double[] row : w) {
            for (int j = 0; j < cols; j++) {
                row[j] = random.nextGaussian();
            }
        }
        return w;
    }

    private static double[][] weight(Dense d) {
        float[] v = d.weight().data().toFloatArray();
        int in = (int) d.inFeatures();
        double[][] w = new double[(int) d.outFeatures()][in];
        for (int i = 0; i < w.length; i++) {
            for (int j = 0; j < in; j++) {
                w[i][j] = v[i * in + j];
            }
        }
        return w;
    }

    @Test
    void svdAndQrReconstructAndAreOrthonormal() {
        for (int[] shape : new int[][] {{7, 5}, {5, 7}, {6, 6}}) {
            double[][] w = gaussian(shape[0], shape[1], shape[0] * 10L + shape[1]);
            LowRank.Svd svd = LowRank.svd(w);
            assertTrue(LowRank.distance(w, svd.truncated(svd.s().length)) < 1e-10, "U S Vt = W");
            for (int k = 1; k < svd.s().length; k++) {
                assertTrue(svd.s()[k - 1] >= svd.s()[k], "descending singular values");
            }
            double[][] utu = LowRank.multiply(LowRank.transpose(svd.u()), svd.u());
            double[][] vvt = LowRank.multiply(svd.vt(), LowRank.transpose(svd.vt()));
            for (int i = 0; i < utu.length; i++) {
                for (int j = 0; j < utu.length; j++) {
                    assertEquals(i == j ? 1 : 0, utu[i][j], 1e-10);
                    assertEquals(i == j ? 1 : 0, vvt[i][j], 1e-10);
                }
            }
            LowRank.Qr qr = LowRank.qr(w);
            assertTrue(LowRank.distance(w, LowRank.multiply(qr.q(), qr.r())) < 1e-10, "Q R = W");
            double[][] qtq = LowRank.multiply(LowRank.transpose(qr.q()), qr.q());
            for (int i = 0; i < qtq.length; i++) {
                for (int j = 0; j < qtq.length; j++) {
                    assertEquals(i == j ? 1 : 0, qtq[i][j], 1e-10);
                }
                for (int j = 0; j < i; j++) {
                    assertEquals(0, qr.r()[i][j], 0, "R is upper triangular");
                }
            }
        }
        // a 2 x 2 by hand: [[3, 0], [4, 5]] has singular values sqrt(45) and sqrt(5)
        LowRank.Svd s = LowRank.svd(new double[][] {{3, 0}, {4, 5}});
        assertEquals(Math.sqrt(45), s.s()[0], 1e-12);
        assertEquals(Math.sqrt(5), s.s()[1], 1e-12);
    }

    @Test
    void pissaStartsAsTheBaseAndScaledBATimesIsTheTopRSvdPart() {
        try (LlamaModel model = TinyModels.model(1)) {
            float[] before = TinyModels.logits(model);
            double[][] w = weight((Dense) model.module("model.layers.0.mlp.up_proj")); // (32, 16)
            Lora.apply(model, LoraConfig.builder().r(3).alpha(12).allLinear().pissa().build());
            assertTrue(TinyModels.maxAbsDiff(before, TinyModels.logits(model)) < 1e-5,
                    "residual + scaling B A = W: " + TinyModels.maxAbsDiff(before, TinyModels.logits(model)));
            LoraLinear l = Lora.layers(model).get("model.layers.0.mlp.up_proj");
            double[][] ba = product(l);
            double[][] top = LowRank.svd(w).truncated(3);
            double scaling = 12.0 / 3;
            for (int i = 0; i < w.length; i++) {
                for (int j = 0; j < w[0].length; j++) {
                    assertEquals(top[i][j], scaling * ba[i][j], 1e-5, "scaling B A = U_3 S_3 V_3^T at " + i + "," + j);
                }
            }
            // the principal directions moved out of the base: its top singular value is W's fourth
            double[] residual = LowRank.svd(weight((Dense) l.base())).s();
            assertEquals(LowRank.svd(w).s()[3], residual[0], 1e-5);
        }
    }

    @Test
    void randomizedPissaFindsTheSameTopSubspace() {
        double[][] w = gaussian(40, 24, 9);
        // a clear spectral gap so that a few subspace iterations converge
        LowRank.Svd exact = LowRank.svd(w);
        for (int k = 0; k < 3; k++) {
            exact.s()[k] *= 10;
        }
        double[][] gapped = exact.truncated(exact.s().length);
        LoraInit.Factors f = LoraInit.pissa(gapped, 3, 2.0, 4, 1);
        double[][] top = LowRank.svd(gapped).truncated(3);
        double[][] ba = LowRank.multiply(f.b(), f.a());
        for (int i = 0; i < 40; i++) {
            for (int j = 0; j < 24; j++) {
                assertEquals(top[i][j], 2.0 * ba[i][j], 1e-6);
                assertEquals(gapped[i][j], f.base()[i][j] + 2.0 * ba[i][j], 1e-10);
            }
        }
        try (LlamaModel model = TinyModels.model(2)) {
            float[] before = TinyModels.logits(model);
            Lora.apply(model, LoraConfig.builder().r(2).alpha(4).targetModules("q_proj", "down_proj").pissa(2).build());
            assertTrue(TinyModels.maxAbsDiff(before, TinyModels.logits(model)) < 1e-5, "pissa_niter_2 starts as the base too");
        }
    }

    @Test
    void oloraStartsAsTheBaseWithBOrthonormalAndAUpperTriangular() {
        try (LlamaModel model = TinyModels.model(3)) {
            float[] before = TinyModels.logits(model);
            double[][] w = weight((Dense) model.module("model.layers.1.self_attn.v_proj")); // (8, 16)
            Lora.apply(model, LoraConfig.builder().r(4).alpha(8).allLinear().olora().build());
            assertTrue(TinyModels.maxAbsDiff(before, TinyModels.logits(model)) < 1e-5);
            LoraLinear l = Lora.layers(model).get("model.layers.1.self_attn.v_proj");
            double[][] b = rows(l.loraB("default").data().toFloatArray(), 8, 4);
            double[][] a = rows(l.loraA("default").data().toFloatArray(), 4, 16);
            double[][] btb = LowRank.multiply(LowRank.transpose(b), b);
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    assertEquals(i == j ? 1 : 0, btb[i][j], 1e-5, "B = Q_r");
                }
                for (int j = 0; j < i; j++) {
                    assertEquals(0, a[i][j], 1e-6, "A = R_r");
                }
            }
            // Q_r R_r is W's part in the span of its first r columns' directions: W - Q_r R_r has those columns zero
            double[][] residual = weight((Dense) l.base());
            double[][] ba = LowRank.multiply(b, a);
            for (int i = 0; i < 8; i++) {
                for (int j = 0; j < 4; j++) {
                    assertEquals(w[i][j], ba[i][j], 1e-5, "the first r columns live in Q_r R_r");
                }
                for (int j = 0; j < 16; j++) {
                    assertEquals(w[i][j], residual[i][j] + 2.0 * ba[i][j], 1e-5);
                }
            }
        }
    }

    @Test
    void loftqLowersTheQuantizationErrorAndIterationsDoNotRaiseIt() {
        double[][] w = gaussian(64, 48, 4);
        for (double[] row : w) {
            for (int j = 0; j < row.length; j++) {
                row[j] *= 0.02;
            }
        }
        BlockQuantized plain = BlockQuantized.quantize(flat(w), QuantFormat.NF4, BlockQuantized.BLOCK, false);
        double nf4Error = LowRank.distance(w, rows(plain.dequantize(), 64, 48));
        double scaling = 16.0 / 8;
        LoraInit.LoftQ loftq = LoraInit.loftq(w, 8, scaling, 5);
        double[][] q = rows(loftq.base().dequantize(), 64, 48);
        double[][] ba = LowRank.multiply(loftq.b(), loftq.a());
        double[][] approx = new double[64][48];
        for (int i = 0; i < 64; i++) {
            for (int j = 0; j < 48; j++) {
                approx[i][j] = q[i][j] + scaling * ba[i][j];
            }
        }
        double error = LowRank.distance(w, approx);
        assertEquals(loftq.errors()[4], error, 1e-4 * error, "the reported error is ||W - (Q + s B A)||");
        assertTrue(loftq.errors()[0] < nf4Error, "one iteration: " + loftq.errors()[0] + " vs plain NF4 " + nf4Error);
        for (int it = 1; it < 5; it++) {
            assertTrue(loftq.errors()[it] <= loftq.errors()[it - 1] * (1 + 1e-6),
                    "iteration " + (it + 1) + ": " + java.util.Arrays.toString(loftq.errors()));
        }
        assertTrue(loftq.errors()[4] < 0.95 * nf4Error, java.util.Arrays.toString(loftq.errors()) + " vs " + nf4Error);
    }

    @Test
    void loftqModelIsCloserToTheBaseThanPlainQlora() {
        float[] base;
        float[] qlora;
        try (LlamaModel model = TinyModels.model(5)) {
            base = TinyModels.logits(model);
            Quantization.quantize(model, QuantFormat.NF4, false);
            qlora = TinyModels.logits(model);
        }
        try (LlamaModel model = TinyModels.model(5)) {
            PeftModel peft = Lora.apply(model, LoraConfig.builder().r(4).alpha(4).allLinear().loftq(2).build());
            for (LoraLinear l : Lora.layers(model).values()) {
                assertTrue(l.base() instanceof QuantizedLinear, "LoftQ quantizes the base itself");
            }
            double loftqGap = TinyModels.maxAbsDiff(base, TinyModels.logits(model));
            double plainGap = TinyModels.maxAbsDiff(base, qlora);
            assertTrue(loftqGap < plainGap, "LoftQ " + loftqGap + " vs NF4 " + plainGap);
            assertEquals(4, ((LoraConfig) peft.config()).r());
        }
    }

    @Test
    void initialisationsSaveTheirFieldsAndRedoTheBaseOnLoad(@TempDir Path tmp) throws Exception {
        for (LoraConfig config : new LoraConfig[] {
                LoraConfig.builder().r(2).alpha(4).targetModules("q_proj", "up_proj").pissa().build(),
                LoraConfig.builder().r(2).alpha(4).targetModules("q_proj", "up_proj").olora().useDora(true).build(),
                LoraConfig.builder().r(2).alpha(4).targetModules("q_proj", "up_proj").loftq(3).build()}) {
            Path dir = tmp.resolve(config.initLoraWeights());
            float[] expected;
            try (LlamaModel model = TinyModels.model(6)) {
                PeftModel peft = Lora.apply(model, config);
                Random random = new Random(8);
                Lora.layers(model).values().forEach(l -> TinyModels.randomize(l.loraB("default"), random, 0.3));
                expected = TinyModels.logits(model);
                peft.save(dir);
            }
            JsonNode json = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
            assertEquals(config.initLoraWeights(), json.get("init_lora_weights").asText());
            if (config.loftqIter() > 0) {
                assertEquals("{\"loftq_bits\":4,\"loftq_iter\":3}", json.get("loftq_config").toString());
            } else {
                assertEquals("{}", json.get("loftq_config").toString());
            }
            try (LlamaModel fresh = TinyModels.model(6)) { // the original base: PEFT redoes the init, then loads A and B
                PeftModel loaded = PeftModel.load(fresh, dir);
                assertEquals(config.initLoraWeights(), ((LoraConfig) loaded.config()).initLoraWeights());
                assertArrayEquals(expected, TinyModels.logits(fresh), config.initLoraWeights());
            }
        }
    }

    @Test
    void pissaOnAQuantizedBaseAndUnknownInitsAreRefused() {
        try (LlamaModel model = TinyModels.model(7)) {
            Quantization.quantize(model, QuantFormat.NF4, true);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> Lora.apply(model, LoraConfig.builder().r(2).pissa().build()));
            assertTrue(e.getMessage().contains("init_lora_weights 'pissa' needs the full-precision base weight"), e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> LoraConfig.builder().initLoraWeights("corda").build());
        assertTrue(e.getMessage().contains("init_lora_weights 'corda' is not supported"), e.getMessage());
    }

    private static double[][] product(LoraLinear l) {
        int r = (int) l.loraA("default").data().getShape().get(0);
        return LowRank.multiply(rows(l.loraB("default").data().toFloatArray(), (int) l.outFeatures(), r),
                rows(l.loraA("default").data().toFloatArray(), r, (int) l.inFeatures()));
    }

    private static double[][] rows(float[] v, int rows, int cols) {
        double[][] out = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[i][j] = v[i * cols + j];
            }
        }
        return out;
    }

    private static float[] flat(double[][] w) {
        float[] out = new float[w.length * w[0].length];
        for (int i = 0; i < w.length; i++) {
            for (int j = 0; j < w[0].length; j++) {
                out[i * w[0].length + j] = (float) w[i][j];
            }
        }
        return out;
    }
}
