package dev.tunelab.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.peft.TinyModels;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.peft.PeftModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SequenceLogProbsTest {
    static final List<long[]> PROMPTS = List.of(new long[] {1, 5, 3}, new long[] {1}, new long[] {1, 9, 2, 7, 30});
    static final List<long[]> COMPLETIONS = List.of(new long[] {4, 8, 2}, new long[] {6, 17, 21, 11, 2}, new long[] {});

    /** log softmax of the row's own logits (computed alone, no padding), gathered at each completion token. */
    static double[] direct(LlamaModel model, long[] prompt, long[] completion) {
        long[] ids = new long[prompt.length + completion.length];
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        System.arraycopy(completion, 0, ids, prompt.length, completion.length);
        return Autograd.noGrad(() -> {
            try (NDManager m = model.manager().newSubManager()) {
                NDArray logits = model.forward(m.create(new long[][] {ids})).toType(DataType.FLOAT64, false);
                int vocab = (int) logits.getShape().get(2);
                double[] flat = logits.toDoubleArray();
                double[] out = new double[completion.length];
                for (int j = 0; j < completion.length; j++) {
                    int t = prompt.length + j - 1; // this position predicts completion token j
                    double max = Double.NEGATIVE_INFINITY;
                    for (int v = 0; v < vocab; v++) {
                        max = Math.max(max, flat[t * vocab + v]);
                    }
                    double z = 0;
                    for (int v = 0; v < vocab; v++) {
                        z += Math.exp(flat[t * vocab + v] - max);
                    }
                    out[j] = flat[t * vocab + (int) completion[j]] - max - Math.log(z);
                }
                return out;
            }
        });
    }

    @Test
    void matchesLogSoftmaxGatherRowByRowAndMasksPadding() {
        try (LlamaModel model = TinyModels.model(3); NDManager m = model.manager().newSubManager()) {
            CompletionBatch batch = CompletionBatch.of(PROMPTS, COMPLETIONS);
            assertEquals(6, batch.length());
            assertEquals(5, batch.completionLength());
            SequenceLogProbs lp = SequenceLogProbs.noGrad(model, batch, m);
            float[][] rows = lp.perTokenRows();
            float[] sums = lp.sum().toFloatArray();
            float[] means = lp.mean().toFloatArray();
            float[] perToken = lp.perToken().toFloatArray();
            assertArrayEquals(new float[] {1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0}, lp.mask().toFloatArray());
            for (int b = 0; b < PROMPTS.size(); b++) {
                double[] expected = direct(model, PROMPTS.get(b), COMPLETIONS.get(b));
                assertEquals(expected.length, rows[b].length);
                double sum = 0;
                for (int j = 0; j < expected.length; j++) {
                    assertEquals(expected[j], rows[b][j], 1e-5, "row " + b + " token " + j);
                    assertTrue(expected[j] < 0);
                    sum += expected[j];
                }
                for (int j = expected.length; j < 5; j++) {
                    assertEquals(0.0, Math.abs(perToken[b * 5 + j]), "padding contributes nothing");
                }
                assertEquals(sum, sums[b], 1e-4);
                assertEquals(expected.length == 0 ? 0 : sum / expected.length, means[b], 1e-5);
            }
        }
    }

    @Test
    void referenceIsTheModelWithAdaptersDisabledAndPolicyIsDifferentiable() {
        try (LlamaModel base = TinyModels.model(3); LlamaModel twin = TinyModels.model(3);
                NDManager m = base.manager().newSubManager()) {
            CompletionBatch batch = CompletionBatch.of(PROMPTS.subList(0, 2), COMPLETIONS.subList(0, 2));
            float[] plain = SequenceLogProbs.noGrad(twin, batch, m).sum().toFloatArray();
            PeftModel peft = Lora.apply(base, LoraConfig.builder().r(2).alpha(4).allLinear().build());
            Random random = new Random(5);
            peft.adapterParameters("default").values().forEach(p -> TinyModels.randomize(p, random, 0.3));

            float[] reference = SequenceLogProbs.reference(peft, batch, m).sum().toFloatArray();
            assertArrayEquals(plain, reference, 1e-5f);
            float[] policy = SequenceLogProbs.noGrad(peft.model(), batch, m).sum().toFloatArray();
            assertTrue(Math.abs(policy[0] - plain[0]) > 1e-3, "the adapter changes the policy's log-probs");

            try (var gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray loss = SequenceLogProbs.compute(peft.model(), batch, m).sum().sum().neg();
                gc.backward(loss);
            }
            double norm = peft.model().trainableParameters().values().stream()
                    .mapToDouble(p -> p.gradient(m).abs().sum().getFloat()).sum();
            assertTrue(norm > 0 && Double.isFinite(norm), "gradients reach the adapters: " + norm);
        }
    }

    @Test
    void scalarHeadReadsTheLastRealTokenAndRoundTrips(@TempDir Path dir) throws Exception {
        try (LlamaModel model = TinyModels.model(3); NDManager m = model.manager().newSubManager()) {
            ScalarHead head = ScalarHead.create(model, 7);
            CompletionBatch batch = CompletionBatch.of(PROMPTS, COMPLETIONS);
            float[] scores = Autograd.noGrad(() -> {
                NDArray hidden = model.hidden(batch.inputIds(m), batch.attentionMask(m), null, null);
                return head.at(hidden, batch.lastTokenPositions(m)).toFloatArray();
            });
            for (int b = 0; b < PROMPTS.size(); b++) { // the same row alone, no padding: its last position
                long[] ids = new long[PROMPTS.get(b).length + COMPLETIONS.get(b).length];
                System.arraycopy(PROMPTS.get(b), 0, ids, 0, PROMPTS.get(b).length);
                System.arraycopy(COMPLETIONS.get(b), 0, ids, PROMPTS.get(b).length, COMPLETIONS.get(b).length);
                float[] alone = Autograd.noGrad(() -> head.forward(model.hidden(m.create(new long[][] {ids}), null, null, null))
                        .toFloatArray());
                assertEquals(alone[alone.length - 1], scores[b], 1e-5);
            }
            head.save(dir.resolve("head.safetensors"));
            try (ScalarHead loaded = ScalarHead.load(model, dir.resolve("head.safetensors"))) {
                assertArrayEquals(head.parameters().get("weight").data().toFloatArray(),
                        loaded.parameters().get("weight").data().toFloatArray());
            }
            assertThrows(java.io.IOException.class, () -> ScalarHead.load(TinyModels.model(1), dir.resolve("missing")));
        }
    }

    @Test
    void rejectsAnEmptyPrompt() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> CompletionBatch.of(List.of(new long[] {}), List.of(new long[] {3})));
        assertTrue(e.getMessage().contains("prompt 0"));
    }
}
