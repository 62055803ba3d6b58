package dev.tunelab.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Scalars inside the autograd graph must outlive the forward pass. DJL's {@code x.div(Autograd.scalar(x, 3.0))} backs
 * the 3.0 with a Java buffer that is freed before the backward pass reads it; garbage collection
 * plus reuse of that memory between forward and backward exposes it.
 */
class AutogradScalarTest {
    /** Collects garbage and refills small freed native blocks with NaN bytes. */
    static void collectAndPoison() {
        for (int round = 0; round < 5; round++) {
            System.gc();
            try {
                Thread.sleep(20); // let the cleaner thread free the dropped direct buffers
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ByteBuffer[] keep = new ByteBuffer[4000];
            for (int i = 0; i < keep.length; i++) {
                keep[i] = ByteBuffer.allocateDirect(4 + (i % 4) * 4);
                while (keep[i].hasRemaining()) {
                    keep[i].put((byte) 0xFF); // 0xFFFFFFFF is a float NaN
                }
            }
        }
    }

    static float[] gradient(BiFunction<NDArray, NDManager, NDArray> f, boolean poisonBetween) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1f, 2f, 3f});
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = f.apply(x, m).sum();
                if (poisonBetween) {
                    collectAndPoison();
                }
                gc.backward(y);
            }
            return x.getGradient().toFloatArray();
        }
    }

    @Test
    void scalarDivisionKeepsItsGradientAcrossGarbageCollection() {
        float third = 1f / 3f;
        assertArrayEquals(new float[] {third, third, third},
                gradient((x, m) -> x.div(Autograd.scalar(x, 3.0)), true), 1e-7f);
        assertArrayEquals(new float[] {2.5f, 2.5f, 2.5f},
                gradient((x, m) -> x.mul(Autograd.scalar(x, 2.5)), true), 1e-7f);
    }

    @Test
    void modelGradientsDoNotDependOnGarbageCollection() {
        LlamaConfig c = LlamaConfig.builder().vocabSize(17).hiddenSize(16).intermediateSize(24).layers(1).heads(2)
                .kvHeads(1).maxPositions(16).build();
        float[][] grads = new float[2][];
        for (int run = 0; run < 2; run++) {
            try (LlamaModel model = LlamaModel.create(c, 4); NDManager m = model.manager().newSubManager()) {
                dev.tunelab.train.Batch b = new dev.tunelab.train.Batch(new long[][] {{1, 5, 9, 3, 7}},
                        new long[][] {{1, 5, 9, 3, 7}}, new long[][] {{1, 1, 1, 1, 1}});
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = dev.tunelab.train.Losses.causalLm(
                            model.forward(b.inputIds(m), b.attentionMask(m), null, null), b.labels(m));
                    if (run == 1) {
                        collectAndPoison();
                    }
                    gc.backward(loss.div(Autograd.scalar(loss, 2)));
                }
                try (NDArray g = model.namedParameters().get("model.layers.0.self_attn.q_proj.weight").gradient(model.manager())) {
                    grads[run] = g.toFloatArray();
                }
            }
        }
        assertArrayEquals(grads[0], grads[1], 0f);
    }
}
