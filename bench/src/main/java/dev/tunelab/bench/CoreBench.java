package dev.tunelab.bench;

import dev.tunelab.io.AtomicFiles;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.recipes.pretrain.Pretraining;
import java.io.IOException;
import java.util.Locale;
import java.util.Set;

/**
 * Issue 2's core benchmark, in one run on the shape of tunelab's base model (about 2.8M
 * parameters): full fine-tuning throughput against the same step in Python PyTorch eager,
 * generation with and without the KV cache, resident memory over a long training run, and the
 * training step's FLOP/s as a fraction of the measured matmul peak. Prints a Markdown table.
 *
 * <pre>
 * bench/run-core-bench [--steps 8] [--memory-steps 2000] [--memory-batch 2] [--no-torch] ...
 * </pre>
 *
 * Parts run one after another, never side by side, so that each has all the threads. Memory is
 * read first, in a fresh process, so that memory freed by the bigger runs cannot hide growth.
 */
public final class CoreBench {
    private CoreBench() {}

    public static CoreBenchReport run(BenchConfig c) {
        Machine machine = Machine.current();
        checkThreads(machine.threads());
        LlamaConfig model = Pretraining.base(2048).config();
        long parameters = model.parameterCount();
        log("%s, %d cores, %d threads; model %,d parameters", machine.cpuModel(), machine.cores(), machine.threads(),
                parameters);

        long t = System.nanoTime();
        // RSS is read at the start of step k, after k completed steps, so the run has memorySteps + 1 steps.
        TrainingBench.Result memory = TrainingBench.run(model, c.memoryBatch, c.memorySequenceLength, 0, c.memorySteps + 1,
                Set.of(c.memoryFirst, c.memorySteps), c.seed);
        log("memory: %,d steps of %d x %d in %.0f s; RSS %s", c.memorySteps + 1, c.memoryBatch, c.memorySequenceLength,
                seconds(t), memory.residentBytes());

        t = System.nanoTime();
        MatmulPeak peak = MatmulPeak.measure(c.matmulSize, c.matmulRepeats);
        log("matmul peak: %.1f GFLOP/s (%.0f s)", peak.flopsPerSecond() / 1e9, seconds(t));

        t = System.nanoTime();
        TrainingBench.Result training = TrainingBench.run(model, c.batch, c.sequenceLength, c.warmupSteps, c.steps,
                Set.of(), c.seed);
        log("training, tunelab: %,.0f tokens/s, first loss %.4f (%.0f s)", training.tokensPerSecond(),
                training.firstLoss(), seconds(t));

        TorchReference torch = null;
        if (c.torch) {
            t = System.nanoTime();
            torch = TorchReference.run(c.python, c.torchScript, model, c.batch, c.sequenceLength, c.warmupSteps,
                    c.steps, machine.threads(), c.seed);
            log("training, PyTorch %s: %,.0f tokens/s, first loss %.4f, BLAS %s (%.0f s)", torch.torchVersion(),
                    torch.tokensPerSecond(), torch.firstLoss(), torch.blasLibraries(), seconds(t));
            if (torch.parameters() != parameters || torch.threads() != machine.threads()) {
                throw new IllegalStateException("the PyTorch reference is not the same setting: " + torch.parameters()
                        + " parameters and " + torch.threads() + " threads, tunelab has " + parameters + " and "
                        + machine.threads());
            }
        }

        t = System.nanoTime();
        GenerationBench generation;
        try (LlamaModel lm = LlamaModel.create(model, c.seed)) {
            generation = GenerationBench.run(lm, c.promptTokens, c.newTokens, c.seed);
        }
        log("generation: %.1f tokens/s cached, %.1f uncached (%.0f s)", generation.cachedTokensPerSecond(),
                generation.uncachedTokensPerSecond(), seconds(t));
        return new CoreBenchReport(machine, model, parameters, training, torch, generation, memory, peak);
    }

    /** libtorch sizes its pool from OMP_NUM_THREADS when it starts; a mismatch would compare unequal settings. */
    private static void checkThreads(int engineThreads) {
        String omp = System.getenv("OMP_NUM_THREADS");
        if (omp != null && !omp.equals(String.valueOf(engineThreads))) {
            throw new IllegalStateException("OMP_NUM_THREADS=" + omp + " but libtorch runs " + engineThreads
                    + " threads");
        }
        if (omp == null) {
            log("OMP_NUM_THREADS is not set: libtorch chose %d threads; PyTorch gets the same", engineThreads);
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static void log(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[core-bench] " + format + "%n", args);
    }

    public static void main(String[] args) throws IOException {
        BenchConfig c = BenchConfig.parse(args);
        CoreBenchReport report = run(c);
        String markdown = report.markdown();
        if (c.out != null) {
            AtomicFiles.writeString(c.out, markdown);
        }
        System.out.print(markdown);
    }
}
