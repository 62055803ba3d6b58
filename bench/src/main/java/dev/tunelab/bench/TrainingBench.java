package dev.tunelab.bench;

import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.train.LrSchedule;
import dev.tunelab.train.TokenWindows;
import dev.tunelab.train.TrainConfig;
import dev.tunelab.train.TrainResult;
import dev.tunelab.train.Trainer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Full fine-tuning through the library's own {@link Trainer#fit}: each step runs forward, the
 * causal-LM loss, backward, global-norm clipping at 1.0 and an AdamW update (weight decay 0.1 on
 * matrices), in a child NDManager closed at the step's end. The data are random token windows,
 * since speed does not depend on what the tokens say.
 */
public final class TrainingBench {
    /** AdamW settings shared with bench/torch_llama_step.py (torch.optim.AdamW's defaults otherwise). */
    static final double LEARNING_RATE = 1e-3;
    static final double WEIGHT_DECAY = 0.1;
    static final double CLIP_NORM = 1.0;

    private TrainingBench() {}

    /**
     * What a timed run measured.
     *
     * @param seconds wall time of the steps after the warm-up
     * @param firstLoss the loss of step 1 (ln(vocab) for a fresh model, a check that the step computes the same thing)
     * @param residentBytes RSS after the given number of completed steps
     */
    public record Result(int batch, int sequenceLength, int warmupSteps, int measuredSteps, double seconds,
            double firstLoss, double lastLoss, Map<Integer, Long> residentBytes) {

        public long tokensPerStep() {
            return (long) batch * sequenceLength;
        }

        public double tokensPerSecond() {
            return tokensPerStep() * measuredSteps / seconds;
        }

        public double secondsPerStep() {
            return seconds / measuredSteps;
        }
    }

    /**
     * Trains a fresh model for {@code warmup + measured} steps of {@code batch x sequenceLength}
     * tokens, timing the last {@code measured}; reads RSS after each count of steps in {@code memoryAfter}.
     */
    public static Result run(LlamaConfig config, int batch, int sequenceLength, int warmup, int measured,
            Set<Integer> memoryAfter, long seed) {
        if (batch < 1 || sequenceLength < 2 || warmup < 0 || measured < 1) {
            throw new IllegalArgumentException("need batch >= 1, sequence length >= 2, warm-up >= 0, measured steps >= 1;"
                    + " got " + batch + ", " + sequenceLength + ", " + warmup + ", " + measured);
        }
        int steps = warmup + measured;
        for (int after : memoryAfter) {
            if (after < 1 || after >= steps) {
                throw new IllegalArgumentException("RSS can be read after 1.." + (steps - 1) + " steps of a " + steps
                        + "-step run, not after " + after);
            }
        }
        StepClock clock = new StepClock(new TokenWindows(randomTokens(config.vocabSize(), seed), batch, sequenceLength,
                seed), steps, memoryAfter);
        TrainConfig train = new TrainConfig().steps(steps).learningRate(LEARNING_RATE)
                .schedule(LrSchedule.Kind.CONSTANT).weightDecay(WEIGHT_DECAY).clipNorm(CLIP_NORM).logEvery(1)
                .seed(seed).runsDir(null).resume(false).progress(false).runName("core-bench");
        try (LlamaModel model = LlamaModel.create(config, seed)) {
            TrainResult result = Trainer.fit(model, clock, null, train);
            long end = System.nanoTime();
            double seconds = (end - clock.startNanos(warmup)) / 1e9;
            List<Map<String, Object>> history = result.run().history();
            double firstLoss = ((Number) history.get(0).get("loss")).doubleValue();
            return new Result(batch, sequenceLength, warmup, measured, seconds, firstLoss, result.finalLoss(),
                    clock.residentBytes());
        }
    }

    /** A stream of uniformly random token ids, long enough that windows rarely repeat. */
    static long[] randomTokens(int vocabSize, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] tokens = new long[1 << 20];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = random.nextInt(vocabSize);
        }
        return tokens;
    }
}
