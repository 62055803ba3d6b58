package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.TinyModels;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** NEFTune (Jain et al. 2023): uniform noise alpha / sqrt(L d) on the input embeddings, in training only. */
class NeftuneTest {
    private static final long[][] IDS = {{1, 5, 3, 9, 2, 7, 30, 4}, {4, 4, 8, 0, 10, 6, 17, 21}};

    /** embed(ids) minus the plain embedding rows, flat. */
    private static float[] noise(LlamaModel model, int seed) {
        return Autograd.noGrad(() -> {
            try (NDManager m = model.manager().newSubManager()) {
                Engine.getInstance().setRandomSeed(seed);
                var ids = m.create(IDS);
                return model.embed(ids).sub(model.embedTokens().forward(ids)).toFloatArray();
            }
        });
    }

    @Test
    void noiseIsUniformWithinAlphaOverSqrtLdInTrainingOnly() {
        try (LlamaModel model = TinyModels.model(1)) {
            model.setNeftuneAlpha(5);
            model.train(true);
            float[] n = noise(model, 7);
            double bound = 5 / Math.sqrt(8 * 16); // L = 8 tokens, d = 16
            double max = 0;
            double sum = 0;
            for (float v : n) {
                assertTrue(Math.abs(v) <= bound * (1 + 1e-6), v + " beyond " + bound);
                max = Math.max(max, Math.abs(v));
                sum += v;
            }
            assertTrue(max > 0.95 * bound, "256 uniform draws come near the bound: " + max + " of " + bound);
            assertTrue(Math.abs(sum / n.length) < 0.1 * bound, "mean near 0");
            assertArrayEquals(n, noise(model, 7), "the same seed draws the same noise");
            assertNotEquals(n[0], noise(model, 8)[0]);
            model.train(false);
            for (float v : noise(model, 7)) {
                assertEquals(0f, v, "no noise in evaluation or generation (model.train(false))");
            }
        }
    }

    @Test
    void aRunIsReproducibleDiffersFromNoNoiseAndLeavesNoNoiseBehind() {
        double[] losses = new double[3];
        double[] alphas = {10, 10, 0};
        for (int run = 0; run < 3; run++) {
            try (LlamaModel model = TinyModels.model(2)) {
                long[] tokens = new long[400];
                for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = (i * 7 + i / 13) % 32;
                }
                TrainResult r = Trainer.fit(model, new TokenWindows(tokens, 4, 12, 1), null,
                        new TrainConfig().steps(3).learningRate(1e-2).runsDir(null).progress(false).seed(3).neftuneAlpha(alphas[run]));
                losses[run] = r.metrics().get("loss");
                assertEquals(0, model.neftuneAlpha(), "the loop turns NEFTune off when it ends");
            }
        }
        assertEquals(losses[0], losses[1], 0, "same seed, same noise, same losses");
        try (LlamaModel model = TinyModels.model(3)) { // PPO and GRPO train without dropout, in evaluation mode
            var loop = TrainingLoop.of("ppo-like", new TrainConfig().steps(1).runsDir(null).progress(false).neftuneAlpha(5), model)
                    .dropout(false);
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> loop.run((s, step) -> Map.of()));
            assertTrue(e.getMessage().contains("cannot honour neftuneAlpha=5.0"), e.getMessage());
        }
        assertNotEquals(losses[0], losses[2], "the noise changes training");
    }
}
