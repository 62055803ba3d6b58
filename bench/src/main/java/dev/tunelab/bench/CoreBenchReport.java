package dev.tunelab.bench;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import dev.tunelab.model.LlamaConfig;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of one {@link CoreBench} run as a Markdown table with issue 2's goals next to them.
 *
 * @param torch the PyTorch reference, or null when it was not run
 */
public record CoreBenchReport(Machine machine, LlamaConfig model, long parameters, TrainingBench.Result training,
        TorchReference torch, GenerationBench generation, TrainingBench.Result memory, MatmulPeak peak)
        implements Renderable {

    /** Issue 2's goals. */
    public static final double THROUGHPUT_RATIO_GOAL = 1.0;
    public static final double CACHE_SPEEDUP_GOAL = 3.0;
    public static final double RSS_GROWTH_GOAL = 0.05;

    /** tunelab's training throughput over PyTorch's (NaN without the reference). */
    public double throughputRatio() {
        return torch == null ? Double.NaN : training.tokensPerSecond() / torch.tokensPerSecond();
    }

    /** Matmul FLOP/s of the tunelab training step by {@link TrainingFlops}. */
    public double trainingFlopsPerSecond() {
        return stepFlops() / training.secondsPerStep();
    }

    private double stepFlops() {
        return TrainingFlops.perStep(parameters, model.numHiddenLayers(), training.sequenceLength(),
                model.numAttentionHeads() * model.headDim(), training.batch());
    }

    public long rssFirst() {
        return memory.residentBytes().values().stream().findFirst().orElseThrow();
    }

    public long rssLast() {
        return memory.residentBytes().values().stream().reduce((a, b) -> b).orElseThrow();
    }

    /** Relative RSS growth between the two readings. */
    public double rssGrowth() {
        return (double) (rssLast() - rssFirst()) / rssFirst();
    }

    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Machine: %s, %d cores; %d threads for both engines. %s, JDK %s, DJL %s "
                + "with libtorch %s.%n%n", machine.cpuModel(), machine.cores(), machine.threads(), machine.date(),
                machine.java(), machine.djl(), machine.libtorch()));
        sb.append(String.format(Locale.ROOT, "Model: Llama, %,d parameters (hidden %d, %d layers, %d/%d heads, "
                + "SwiGLU %d, vocabulary %d, tied embeddings, attention dropout %s), fp32. Training step: forward, "
                + "causal-LM loss, backward, global-norm clip 1.0, AdamW (weight decay %s on matrices).%n%n",
                parameters, model.hiddenSize(), model.numHiddenLayers(), model.numAttentionHeads(),
                model.numKeyValueHeads(), model.intermediateSize(), model.vocabSize(), model.attentionDropout(),
                TrainingBench.WEIGHT_DECAY));
        sb.append("| measure | result | goal |\n| --- | --- | --- |\n");
        row(sb, String.format(Locale.ROOT, "training, tunelab (DJL %s, libtorch %s), batch %d x %d",
                machine.djl(), machine.libtorch(), training.batch(), training.sequenceLength()),
                String.format(Locale.ROOT, "%,.0f tokens/s (%.2f s/step, %d steps after %d warm-up)",
                        training.tokensPerSecond(), training.secondsPerStep(), training.measuredSteps(),
                        training.warmupSteps()), "");
        if (torch != null) {
            row(sb, String.format(Locale.ROOT, "training, PyTorch %s eager (Debian python3-torch, %s)",
                    torch.torchVersion(), torch.blasSummary()),
                    String.format(Locale.ROOT, "%,.0f tokens/s (%.2f s/step, %d steps)", torch.tokensPerSecond(),
                            torch.seconds() / torch.measuredSteps(), torch.measuredSteps()), "");
            row(sb, "tunelab / PyTorch", String.format(Locale.ROOT, "%.2fx", throughputRatio()),
                    goal(throughputRatio() >= THROUGHPUT_RATIO_GOAL, ">= 1.0x"));
            row(sb, String.format(Locale.ROOT, "first-step loss, tunelab / PyTorch (ln %d = %.3f)", model.vocabSize(),
                    Math.log(model.vocabSize())), String.format(Locale.ROOT, "%.3f / %.3f", training.firstLoss(),
                    torch.firstLoss()), "");
        }
        row(sb, String.format(Locale.ROOT, "generation, greedy, %d new tokens after %d prompt tokens, KV cache",
                generation.newTokens(), generation.promptTokens()),
                String.format(Locale.ROOT, "%,.1f tokens/s", generation.cachedTokensPerSecond()), "");
        row(sb, "generation, no KV cache", String.format(Locale.ROOT, "%,.1f tokens/s",
                generation.uncachedTokensPerSecond()), "");
        row(sb, "KV cache speed-up (same tokens: " + (generation.sameTokens() ? "yes" : "NO") + ")",
                String.format(Locale.ROOT, "%.1fx", generation.speedup()),
                goal(generation.speedup() >= CACHE_SPEEDUP_GOAL, ">= 3x"));
        var readings = memory.residentBytes().keySet().toArray(new Integer[0]);
        row(sb, String.format(Locale.ROOT, "RSS after %,d training steps (batch %d x %d)", readings[0], memory.batch(),
                memory.sequenceLength()), mib(rssFirst()), "");
        row(sb, String.format(Locale.ROOT, "RSS after %,d training steps", readings[readings.length - 1]),
                mib(rssLast()), "");
        row(sb, "RSS growth", String.format(Locale.ROOT, "%+.1f%%", 100 * rssGrowth()),
                goal(rssGrowth() < RSS_GROWTH_GOAL, "< 5%"));
        row(sb, String.format(Locale.ROOT, "fp32 matmul peak (DJL, %d x %d, best of %d)", peak.size(), peak.size(),
                peak.repeats()), String.format(Locale.ROOT, "%.1f GFLOP/s", peak.flopsPerSecond() / 1e9), "");
        row(sb, String.format(Locale.ROOT, "training step, tunelab: %s / step time, %.1f GFLOP per step",
                TrainingFlops.formula(), stepFlops() / 1e9), String.format(Locale.ROOT, "%.1f GFLOP/s = %.0f%% of peak",
                trainingFlopsPerSecond() / 1e9, 100 * trainingFlopsPerSecond() / peak.flopsPerSecond()), "");
        if (torch != null) {
            double torchFlops = stepFlops() * torch.measuredSteps() / torch.seconds();
            row(sb, "training step, PyTorch, same count", String.format(Locale.ROOT, "%.1f GFLOP/s = %.0f%% of peak",
                    torchFlops / 1e9, 100 * torchFlops / peak.flopsPerSecond()), "");
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String measure, String result, String goal) {
        sb.append("| ").append(measure).append(" | ").append(result).append(" | ").append(goal).append(" |\n");
    }

    private static String goal(boolean met, String goal) {
        return goal + (met ? " (met)" : " (missed)");
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%,.1f MiB", bytes / (1024.0 * 1024.0));
    }

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("text/markdown", markdown());
        m.put(MimeBundles.TEXT, markdown());
        return m;
    }

    @Override
    public String toString() {
        return markdown();
    }
}
