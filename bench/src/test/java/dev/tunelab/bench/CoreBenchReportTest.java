package dev.tunelab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.model.LlamaConfig;
import dev.tunelab.recipes.pretrain.Pretraining;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class CoreBenchReportTest {
    private static final long MIB = 1024 * 1024;

    private static CoreBenchReport report(double torchTokensPerSecond, double uncachedSeconds, long rssLastMiB) {
        LlamaConfig model = Pretraining.base(2048).config();
        Machine machine = new Machine("Test CPU", 2, 2, "2026-01-01", "17", "0.35.0", "2.7.1");
        // 8 steps of 16 x 256 = 32,768 tokens in 16 s: 2,048 tokens/s, 2 s per step.
        var training = new TrainingBench.Result(16, 256, 2, 8, 16.0, 7.66, 7.5, Map.of());
        var torch = new TorchReference("1.13.0a0", 2, List.of("/x/openblas-pthread/libopenblasp-r0.3.21.so"),
                model.parameterCount(), 7.67, 7.5, 8, 16.0 * 2048 / torchTokensPerSecond, torchTokensPerSecond);
        var generation = new GenerationBench(8, 256, 2.0, uncachedSeconds, true);
        Map<Integer, Long> rss = new TreeMap<>(Map.of(100, 100 * MIB, 2000, rssLastMiB * MIB));
        var memory = new TrainingBench.Result(2, 256, 0, 2001, 600.0, 7.6, 7.0, rss);
        var peak = new MatmulPeak(1000, 10, 0.02); // 2e9 FLOP in 20 ms: 100 GFLOP/s
        return new CoreBenchReport(machine, model, model.parameterCount(), training, torch, generation, memory, peak);
    }

    @Test
    void goalsMetAreMarkedMet() {
        CoreBenchReport r = report(1600, 7.0, 103);
        assertEquals(1.28, r.throughputRatio(), 1e-12);
        assertEquals(0.03, r.rssGrowth(), 1e-12);
        String md = r.markdown();
        assertTrue(md.contains("| tunelab / PyTorch | 1.28x | >= 1.0x (met) |"), md);
        assertTrue(md.contains("| 3.5x | >= 3x (met) |"), md);
        assertTrue(md.contains("| RSS growth | +3.0% | < 5% (met) |"), md);
        assertTrue(md.contains("| 2,048 tokens/s (2.00 s/step, 8 steps after 2 warm-up) |"), md);
    }

    @Test
    void goalsMissedAreMarkedMissed() {
        String md = report(4096, 5.0, 110).markdown();
        assertTrue(md.contains("| tunelab / PyTorch | 0.50x | >= 1.0x (missed) |"), md);
        assertTrue(md.contains("| 2.5x | >= 3x (missed) |"), md);
        assertTrue(md.contains("| RSS growth | +10.0% | < 5% (missed) |"), md);
    }

    @Test
    void flopsAreAFractionOfTheMeasuredPeak() {
        CoreBenchReport r = report(1600, 7.0, 100);
        // 82,202,591,232 FLOP per step (TrainingFlopsTest) in 2 s: 41.1 GFLOP/s of a 100 GFLOP/s peak.
        assertEquals(41.101295616e9, r.trainingFlopsPerSecond(), 1);
        assertTrue(r.markdown().contains("| 41.1 GFLOP/s = 41% of peak |"), r.markdown());
        assertTrue(r.markdown().contains("| fp32 matmul peak (DJL, 1000 x 1000, best of 10) | 100.0 GFLOP/s |"));
    }
}
