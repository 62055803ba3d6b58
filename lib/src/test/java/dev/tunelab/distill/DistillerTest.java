package dev.tunelab.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.train.Batch;
import dev.tunelab.train.Losses;
import dev.tunelab.train.PromptTemplate;
import dev.tunelab.train.SftBatches;
import dev.tunelab.train.SftExample;
import dev.tunelab.train.TrainConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The distillation loop on tiny random models: cache vs on the fly, a student equal to its teacher, on-policy batches. */
class DistillerTest {
    @TempDir
    static Path tmp;
    static Tokenizer tok;
    static LlamaConfig config;
    static SftBatches data;

    @BeforeAll
    static void setUp() throws Exception {
        tok = TinyTeacher.tokenizer(tmp);
        config = LlamaConfig.builder().vocabSize(tok.vocabSize()).hiddenSize(32).intermediateSize(48).layers(2)
                .heads(4).kvHeads(2).maxPositions(128).attentionDropout(0).build();
        PromptTemplate<SftExample> template = PromptTemplate.of("t", e -> e.instruction() + "\n", SftExample::output);
        data = SftBatches.builder(tok, template, List.of(SftExample.of("Lily", "found a ball."),
                SftExample.of("Tim", "was in the park."), SftExample.of("A girl", "named Lily."))).batchSize(2).maxLength(64).seed(1).build();
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    static DistillConfig oneStep(String name, double alpha) {
        return new DistillConfig().alpha(alpha).temperature(2)
                .train(new TrainConfig().steps(1).logEvery(1).runsDir(null).progress(false).runName(name));
    }

    static double firstLoss(dev.tunelab.train.TrainResult r) {
        return ((Number) r.run().history().get(0).get("kd_loss")).doubleValue();
    }

    @Test
    void aFullTopKCacheGivesTheOnTheFlyLossAndAStudentEqualToItsTeacherHasNone() {
        try (LlamaModel teacher = LlamaModel.create(config, 7); LlamaModel a = LlamaModel.create(config, 3);
                LlamaModel b = LlamaModel.create(config, 3); LlamaModel copy = LlamaModel.create(config, 7)) {
            var cache = TeacherLogitCache.write(teacher, data, config.vocabSize(), 2, tmp.resolve("cache.safetensors"));
            var read = TeacherLogitCache.read(tmp.resolve("cache.safetensors"), data, teacher.manager());
            assertEquals(cache.bytes(), read.bytes());
            double live = firstLoss(Distiller.fit(a, teacher, data, null, oneStep("live", 1)));
            double cached = firstLoss(Distiller.fit(b, read, null, oneStep("cached", 1)));
            assertTrue(live > 0.01, "random models disagree: " + live);
            assertEquals(live, cached, 1e-4 * live);
            assertEquals(0, firstLoss(Distiller.fit(copy, teacher, data, null, oneStep("same", 1))), 1e-6);
        }
    }

    @Test
    void onPolicyBatchesAreThePromptsContinuedByTheStudentWithLabelsOnTheSampledTokens() {
        try (LlamaModel student = LlamaModel.create(config, 3)) {
            Batch batch = data.batch(0);
            var cfg = new DistillConfig().onPolicySampling(dev.tunelab.generate.GenerationConfig.greedy().maxNewTokens(5).stopAtEos(false));
            Batch written = Distiller.studentWritten(student, batch, cfg, 1);
            for (int b = 0; b < batch.size(); b++) {
                long[] labels = batch.labels()[b];
                int prompt = 0;
                while (labels[prompt] == Losses.IGNORE_INDEX) prompt++;
                long[] ids = written.inputIds()[b];
                long[] wl = written.labels()[b];
                for (int t = 0; t < prompt; t++) {
                    assertEquals(batch.inputIds()[b][t], ids[t], "the prompt is kept");
                    assertEquals(Losses.IGNORE_INDEX, wl[t], "and carries no loss");
                }
                for (int t = prompt; t < prompt + 5; t++) assertEquals(ids[t], wl[t], "the 5 sampled tokens carry the loss");
                assertEquals(prompt + 5, java.util.Arrays.stream(written.attentionMask()[b]).sum());
            }
        }
    }

    /** Llama 3 and Qwen2.5 configs name no pad_token_id: padding then takes the end token (masked anyway). */
    @Test
    void onPolicyBatchesOfAModelWithoutPadToken() {
        try (LlamaModel withPad = LlamaModel.create(config, 3);
                LlamaModel noPad = LlamaModel.create(config.toBuilder().specialTokens(1, 2, -1).build(), 3)) {
            var cfg = new DistillConfig().onPolicySampling(dev.tunelab.generate.GenerationConfig.greedy().maxNewTokens(5).stopAtEos(false));
            Batch a = Distiller.studentWritten(withPad, data.batch(0), cfg, 1);
            Batch b = Distiller.studentWritten(noPad, data.batch(0), cfg, 1);
            for (int row = 0; row < a.size(); row++) {
                for (int t = 0; t < a.inputIds()[row].length; t++) {
                    long expected = a.attentionMask()[row][t] == 1 ? a.inputIds()[row][t] : 2;
                    assertEquals(expected, b.inputIds()[row][t], "row " + row + " position " + t);
                }
            }
        }
    }

    @Test
    void aCacheRefusesOtherData() {
        try (LlamaModel teacher = LlamaModel.create(config, 7)) {
            TeacherLogitCache.write(teacher, data, 4, 1, tmp.resolve("small.safetensors"));
            SftBatches other = SftBatches.builder(tok, PromptTemplate.<SftExample>of("t", e -> e.instruction() + "\n", SftExample::output),
                    List.of(SftExample.of("Tim", "ran."))).batchSize(1).maxLength(64).build();
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> TeacherLogitCache.read(tmp.resolve("small.safetensors"), other, teacher.manager()));
            assertTrue(e.getMessage().contains("was written for data"), e.getMessage());
        }
    }

    @Test
    void aTruncatedTopKCacheWithAlphaBelowOneGivesTheHandComputedMixOfKlAndCrossEntropy() {
        try (LlamaModel teacher = LlamaModel.create(config, 7); LlamaModel student = LlamaModel.create(config, 3)) {
            int k = 3;
            double temperature = 2;
            double alpha = 0.3;
            var cache = TeacherLogitCache.write(teacher, data, k, temperature, tmp.resolve("top3.safetensors"));
            Batch batch = data.batch(0);
            DistillConfig cfg = new DistillConfig().alpha(alpha).temperature(temperature);
            double got = dev.tunelab.model.Autograd.noGrad(() -> {
                try (var m = student.manager().newSubManager()) {
                    return (double) Distiller.loss(student, null, cache.batch(0, m), batch, false, cfg, m).loss().getFloat();
                }
            });
            float[][][] s = logits(student, batch);
            float[][][] t = logits(teacher, batch);
            double kl = 0, ce = 0;
            int count = 0;
            for (int b = 0; b < batch.size(); b++) {
                long[] labels = batch.labels()[b];
                for (int j = 0; j + 1 < labels.length; j++) {
                    if (labels[j + 1] == Losses.IGNORE_INDEX) continue;
                    double[] p = softmax(t[b][j], temperature);
                    double[] logQ = logSoftmax(s[b][j], temperature);
                    Integer[] order = new Integer[p.length];
                    for (int i = 0; i < p.length; i++) order[i] = i;
                    java.util.Arrays.sort(order, (x, y) -> Double.compare(p[y], p[x]));
                    double mass = 0;
                    for (int r = 0; r < k; r++) mass += p[order[r]];
                    for (int r = 0; r < k; r++) {
                        double pk = p[order[r]] / mass; // the stored teacher is renormalised over its top k
                        kl += pk * (Math.log(pk) - logQ[order[r]]);
                    }
                    ce -= logSoftmax(s[b][j], 1)[(int) labels[j + 1]];
                    count++;
                }
            }
            // Hinton et al. 2015: alpha * T^2 * KL + (1 - alpha) * cross entropy, both means over labelled positions
            double expected = alpha * temperature * temperature * kl / count + (1 - alpha) * ce / count;
            assertEquals(expected, got, 2e-3 * expected);
        }
    }

    static float[][][] logits(LlamaModel model, Batch batch) {
        return dev.tunelab.model.Autograd.noGrad(() -> {
            try (var m = model.manager().newSubManager()) {
                var out = model.forward(batch.inputIds(m), batch.attentionMask(m), null, null);
                long[] shape = out.getShape().getShape();
                float[] flat = out.toFloatArray();
                float[][][] r = new float[(int) shape[0]][(int) shape[1]][(int) shape[2]];
                int i = 0;
                for (float[][] row : r) for (float[] pos : row) for (int v = 0; v < pos.length; v++) pos[v] = flat[i++];
                return r;
            }
        });
    }

    static double[] logSoftmax(float[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l / temperature);
        double z = 0;
        for (float l : logits) z += Math.exp(l / temperature - max);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) out[i] = logits[i] / temperature - max - Math.log(z);
        return out;
    }

    static double[] softmax(float[] logits, double temperature) {
        double[] l = logSoftmax(logits, temperature);
        for (int i = 0; i < l.length; i++) l[i] = Math.exp(l[i]);
        return l;
    }
}
