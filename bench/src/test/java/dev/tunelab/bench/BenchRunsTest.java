package dev.tunelab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The measuring parts on a tiny model: they must run the real step and report what they ran. */
class BenchRunsTest {
    private static final LlamaConfig TINY = LlamaConfig.builder().vocabSize(64).hiddenSize(32).intermediateSize(64)
            .layers(2).heads(4).kvHeads(2).maxPositions(64).tieWordEmbeddings(true).build();

    @Test
    void trainingRunsTheTrainerAndReadsMemoryAfterTheAskedSteps() {
        TrainingBench.Result r = TrainingBench.run(TINY, 2, 16, 1, 4, Set.of(1, 3), 7);
        assertEquals(4, r.measuredSteps());
        assertEquals(32, r.tokensPerStep());
        // Weights start at N(0, 0.02): logits near zero, so the first loss is close to ln(vocab) = 4.159.
        assertEquals(Math.log(64), r.firstLoss(), 0.05);
        assertEquals(Set.of(1, 3), r.residentBytes().keySet());
        assertTrue(r.residentBytes().values().stream().allMatch(b -> b > 0));
        assertTrue(r.seconds() > 0 && Double.isFinite(r.tokensPerSecond()));
    }

    @Test
    void memoryReadingsMustFallInsideTheRun() {
        var e = assertThrows(IllegalArgumentException.class, () -> TrainingBench.run(TINY, 1, 8, 0, 5, Set.of(5), 7));
        assertTrue(e.getMessage().contains("after 1..4 steps"), e.getMessage());
    }

    @Test
    void generationProducesTheSameTokensWithAndWithoutCache() {
        try (LlamaModel model = LlamaModel.create(TINY, 3)) {
            GenerationBench g = GenerationBench.run(model, 4, 20, 5);
            assertEquals(20, g.newTokens());
            assertTrue(g.sameTokens());
            assertEquals(g.uncachedSeconds() / g.cachedSeconds(), g.speedup(), 1e-12);
        }
    }

    @Test
    void matmulPeakCountsTwoNCubed() {
        MatmulPeak p = MatmulPeak.measure(64, 2);
        assertEquals(2.0 * 64 * 64 * 64, p.flops());
        assertTrue(p.bestSeconds() > 0);
        assertThrows(IllegalArgumentException.class, () -> MatmulPeak.measure(0, 1));
    }
}
