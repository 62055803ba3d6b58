package dev.tunelab.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Sampling a batch (rows prepared on several threads, drawn in row order) gives the tokens that
 * one Sampler calling next(row) for each unfinished row in turn gives, with the same seed.
 */
class SamplerBatchTest {
    @Test
    void aBatchOnTwoThreadsDrawsWhatRowAfterRowDraws() {
        Random random = new Random(3);
        int rows = 24;
        int vocab = 2048; // 24 x 2048 logits: above the size at which rows are prepared in parallel
        for (GenerationConfig config : new GenerationConfig[] {GenerationConfig.sample(1.0).seed(11),
                GenerationConfig.sample(0.7).topK(50).topP(0.9).seed(12), GenerationConfig.greedy()}) {
            Sampler oneByOne = new Sampler(config);
            Sampler batched = new Sampler(config);
            for (int step = 0; step < 5; step++) {
                float[][] logits = new float[rows][vocab];
                boolean[] skip = new boolean[rows];
                int[] expected = new int[rows];
                for (int b = 0; b < rows; b++) {
                    for (int i = 0; i < vocab; i++) {
                        logits[b][i] = (float) (random.nextGaussian() * 3);
                    }
                    skip[b] = (b + step) % 5 == 0; // finished rows draw nothing
                    expected[b] = skip[b] ? -1 : oneByOne.next(logits[b]);
                }
                assertArrayEquals(expected, batched.next(logits, skip, new Workers(2)), config + " step " + step);
            }
        }
    }
}
