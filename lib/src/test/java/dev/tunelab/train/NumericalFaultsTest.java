package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tunelab.io.SafeTensors;
import dev.tunelab.io.SafeTensorsFile;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.Dense;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.track.WandbSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Diverging runs stop at the first non-finite number and keep a usable checkpoint; clipping absorbs an outlier batch. */
class NumericalFaultsTest {
    static final BatchSource TRAIN = new TokenWindows(TrainerTest.countingStream(4_000), 4, 16, 11);

    static TrainConfig config(Path tmp) {
        return new TrainConfig().logEvery(1).seed(5).schedule(LrSchedule.Kind.CONSTANT).checkpointEvery(1).keepCheckpoints(3)
                .checkpointDir(tmp.resolve("ck")).runsDir(tmp.resolve("runs")).wandb(WandbSettings.disabled()).progress(false);
    }

    static boolean allFinite(Path checkpoint) throws IOException {
        try (SafeTensorsFile f = SafeTensors.open(checkpoint.resolve("model.safetensors"))) {
            for (String name : f.names()) {
                for (float x : f.floats(name)) {
                    if (!Float.isFinite(x)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    @Test
    void aDivergingLearningRateStopsAtTheFirstNonFiniteLossAndKeepsTheLastGoodCheckpoint(@TempDir Path tmp) throws Exception {
        try (LlamaModel model = LlamaModel.create(CrashSafetyChild.config(), 1)) {
            // AdamW moves every weight by about lr per step: 1e30 makes the logits overflow at the next step.
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                    () -> Trainer.fit(model, TRAIN, null, config(tmp).steps(20).learningRate(1e30).clipNorm(0)));
            assertEquals(2, e.step(), e.getMessage());
            assertTrue(e.getMessage().startsWith("loss is NaN at step 2") || e.getMessage().startsWith("loss is Infinity at step 2"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("Lower the learning rate"), e.getMessage());
        }
        var last = Checkpoints.latest(tmp.resolve("ck")).orElseThrow();
        assertEquals(1, last.step(), "the checkpoint of the last step whose loss was finite");
        assertTrue(allFinite(last.dir()));
        // The run record says the run failed.
        try (var runs = java.nio.file.Files.list(tmp.resolve("runs"))) {
            Path run = runs.findFirst().orElseThrow();
            assertTrue(java.nio.file.Files.readString(run.resolve("summary.json")).contains("\"_exit_code\" : 1"));
        }
    }

    @Test
    void weightsThatTurnNonFiniteAreNeverCheckpointed(@TempDir Path tmp) throws Exception {
        try (LlamaModel model = LlamaModel.create(CrashSafetyChild.config(), 1)) {
            Trainer.fit(model, TRAIN, null, config(tmp).steps(3).learningRate(1e-3));
        }
        try (LlamaModel model = LlamaModel.create(CrashSafetyChild.config(), 1)) {
            // 1e39 overflows float32: step 4's loss is finite, the weights after its update are not.
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                    () -> Trainer.fit(model, TRAIN, null, config(tmp).steps(10).learningRate(1e39)));
            assertEquals(4, e.step());
            assertTrue(e.getMessage().contains("a weight after the update is NaN at step 4"), e.getMessage());
        }
        var last = Checkpoints.latest(tmp.resolve("ck")).orElseThrow();
        assertEquals(3, last.step());
        assertTrue(allFinite(last.dir()));
    }

    /**
     * One corrupt batch (targets 10^4 times too large) in a least-squares fit, run through the
     * Trainer's own clipping and AdamW step in the Trainer's order. Unclipped, its gradient fills
     * AdamW's second moment, which then shrinks every later step (beta2 = 0.999 forgets it over
     * thousands of steps) and the fit stalls; clipped to norm 1, training ends where the clean run does.
     * (A token batch cannot make such a spike: cross-entropy's gradient per logit is bounded.)
     */
    @Test
    void clippingKeepsAnOutlierBatchFromCorruptingTheWeights() {
        double clean = distanceAfterTraining(-1, 1.0);
        double clipped = distanceAfterTraining(20, 1.0);
        double unclipped = distanceAfterTraining(20, 0.0);
        System.out.printf("distance to the true weights: clean %.4f, outlier clipped %.4f, outlier unclipped %.4f%n",
                clean, clipped, unclipped);
        assertTrue(clean < 0.1, "the clean fit converges: " + clean);
        assertTrue(clipped < 1.5 * clean + 0.02, "clipped outlier: " + clipped + " vs clean " + clean);
        assertTrue(unclipped > 10 * clipped, "unclipped outlier: " + unclipped + " vs clipped " + clipped);
    }

    /** Fits W in y = W x (4x4, truth all 0.5) from 0 for 200 AdamW steps; batch {@code outlierAt} has its targets x 10^4. */
    static double distanceAfterTraining(int outlierAt, double clipNorm) {
        try (NDManager m = NDManager.newBaseManager()) {
            Dense layer = new Dense(m.zeros(new Shape(4, 4)), null);
            Map<String, Parameter> params = layer.namedParameters();
            NDArray truth = m.full(new Shape(4, 4), 0.5f);
            Random random = new Random(3);
            try (AdamW optimizer = new AdamW(params, 0.9, 0.999, 1e-8, 0)) {
                for (int step = 0; step < 200; step++) {
                    try (NDManager s = m.newSubManager()) {
                        float[] xs = new float[16 * 4];
                        for (int i = 0; i < xs.length; i++) {
                            xs[i] = (float) random.nextGaussian();
                        }
                        NDArray x = s.create(xs, new Shape(16, 4));
                        NDArray y = Autograd.noGrad(() -> x.matMul(truth.transpose()));
                        if (step == outlierAt) {
                            y = y.mul(Autograd.scalar(y, 1e4));
                        }
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray err = layer.forward(x).sub(y);
                            gc.backward(err.square().mean());
                        }
                        Gradients.clipNorm(params, clipNorm); // then the step, as Trainer.fit does
                        optimizer.step(0.05);
                        optimizer.zeroGrad();
                    }
                }
            }
            return Autograd.noGrad(() -> layer.weight().data().sub(truth).norm().getFloat());
        }
    }
}
