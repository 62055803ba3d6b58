package dev.tunelab.bench;

import java.nio.file.Path;

/**
 * What {@link CoreBench} measures and how long it runs. Defaults are issue 2's: batch 16 x 256
 * tokens, 256 new tokens, RSS after 100 and 2,000 steps. Chain the setters, or pass the
 * command-line options of {@link #parse(String...)}.
 */
public final class BenchConfig {
    int batch = 16;
    int sequenceLength = 256;
    int warmupSteps = 2;
    int steps = 8;
    int promptTokens = 8;
    int newTokens = 256;
    int memoryBatch = 2;
    int memorySequenceLength = 256;
    int memoryFirst = 100;
    int memorySteps = 2000;
    int matmulSize = 2048;
    int matmulRepeats = 10;
    boolean torch = true;
    String python = "/usr/bin/python3"; // Debian's interpreter, where python3-torch installs
    Path torchScript = Path.of("bench/torch_llama_step.py");
    Path out;
    long seed = 1234;

    /** Sequences per training step. */
    public BenchConfig batch(int v) { batch = v; return this; }
    public BenchConfig sequenceLength(int v) { sequenceLength = v; return this; }
    /** Untimed steps before the timed ones (allocation, thread start-up). */
    public BenchConfig warmupSteps(int v) { warmupSteps = v; return this; }
    /** Timed training steps, for tunelab and for PyTorch. */
    public BenchConfig steps(int v) { steps = v; return this; }
    public BenchConfig promptTokens(int v) { promptTokens = v; return this; }
    public BenchConfig newTokens(int v) { newTokens = v; return this; }
    /** Batch of the long run that reads RSS (smaller than {@link #batch} so that 2,000 steps fit in minutes). */
    public BenchConfig memoryBatch(int v) { memoryBatch = v; return this; }
    /** Sequence length of the long run that reads RSS. */
    public BenchConfig memorySequenceLength(int v) { memorySequenceLength = v; return this; }
    /** RSS is read after this many steps and after {@link #memorySteps(int)}. */
    public BenchConfig memoryFirst(int v) { memoryFirst = v; return this; }
    public BenchConfig memorySteps(int v) { memorySteps = v; return this; }
    public BenchConfig matmulSize(int v) { matmulSize = v; return this; }
    public BenchConfig matmulRepeats(int v) { matmulRepeats = v; return this; }
    /** Run the PyTorch reference (default true). */
    public BenchConfig torch(boolean v) { torch = v; return this; }
    public BenchConfig python(String v) { python = v; return this; }
    public BenchConfig torchScript(Path v) { torchScript = v; return this; }
    /** Also write the Markdown report here (null: stdout only). */
    public BenchConfig out(Path v) { out = v; return this; }
    public BenchConfig seed(long v) { seed = v; return this; }

    /**
     * {@code --batch N --seq N --warmup N --steps N --prompt-tokens N --new-tokens N --memory-batch N
     * --memory-seq N --memory-first N --memory-steps N --matmul-size N --matmul-repeats N --python PATH
     * --torch-script PATH --no-torch --out FILE --seed N}.
     */
    public static BenchConfig parse(String... args) {
        BenchConfig c = new BenchConfig();
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--no-torch")) {
                c.torch = false;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + option + " needs a value");
            }
            String value = args[++i];
            switch (option) {
                case "--batch" -> c.batch = positive(option, value);
                case "--seq" -> c.sequenceLength = positive(option, value);
                case "--warmup" -> c.warmupSteps = nonNegative(option, value);
                case "--steps" -> c.steps = positive(option, value);
                case "--prompt-tokens" -> c.promptTokens = positive(option, value);
                case "--new-tokens" -> c.newTokens = positive(option, value);
                case "--memory-batch" -> c.memoryBatch = positive(option, value);
                case "--memory-seq" -> c.memorySequenceLength = positive(option, value);
                case "--memory-first" -> c.memoryFirst = positive(option, value);
                case "--memory-steps" -> c.memorySteps = positive(option, value);
                case "--matmul-size" -> c.matmulSize = positive(option, value);
                case "--matmul-repeats" -> c.matmulRepeats = positive(option, value);
                case "--python" -> c.python = value;
                case "--torch-script" -> c.torchScript = Path.of(value);
                case "--out" -> c.out = Path.of(value);
                case "--seed" -> c.seed = Long.parseLong(value);
                default -> throw new IllegalArgumentException("unknown option " + option + " (expected --batch, --seq, "
                        + "--warmup, --steps, --prompt-tokens, --new-tokens, --memory-batch, --memory-seq, --memory-first, "
                        + "--memory-steps, --matmul-size, --matmul-repeats, --python, --torch-script, --no-torch, "
                        + "--out, --seed)");
            }
        }
        if (c.memoryFirst >= c.memorySteps) {
            throw new IllegalArgumentException("--memory-first (" + c.memoryFirst + ") must be below --memory-steps ("
                    + c.memorySteps + ")");
        }
        return c;
    }

    private static int positive(String option, String value) {
        int v = integer(option, value);
        if (v < 1) {
            throw new IllegalArgumentException(option + " must be >= 1, got " + value);
        }
        return v;
    }

    private static int nonNegative(String option, String value) {
        int v = integer(option, value);
        if (v < 0) {
            throw new IllegalArgumentException(option + " must be >= 0, got " + value);
        }
        return v;
    }

    private static int integer(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " expects an integer, got '" + value + "'");
        }
    }
}
