package dev.tunelab.bench;

import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.generate.Backend;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.generate.Generator;
import dev.tunelab.io.AtomicFiles;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Issue 18's decoding benchmark, side by side in one run: tunelab's Java decoder (1 and 2
 * threads), tunelab's DJL path, and llama2.c's {@code run.c} (1 thread, 2 OpenMP threads) on
 * the same weights: tinystories-base greedy (with and without the KV cache), 64 rows sampled
 * together, and a model of SmolLM2-135M's shape with random weights. Prints a Markdown table.
 *
 * <pre>
 * bench/run-decode-bench [--model DIR] [--new-tokens 256] [--rows 64] [--smol-tokens 64]
 *                        [--llama2c DIR] [--repeats 3] [--no-smol] [--out FILE] [--seed N]
 * </pre>
 *
 * Every figure is the best of {@code --repeats} timed runs after an untimed warm-up, in new
 * tokens per second of wall time (the prompt's forward pass included).
 */
public final class DecodeBench {
    /** SmolLM2-135M (HuggingFaceTB/SmolLM2-135M config.json), with 2,048 positions instead of 8,192: the same weights' shape. */
    static final LlamaConfig SMOL_SHAPE = LlamaConfig.builder().vocabSize(49152).hiddenSize(576).intermediateSize(1536)
            .layers(30).heads(9).kvHeads(3).ropeTheta(100000).rmsNormEps(1e-5).maxPositions(2048)
            .tieWordEmbeddings(true).build();
    static final String PROMPT = "Once upon a time there was a";

    /** One line of the table. */
    record Row(String model, String decoder, int threads, String setting, double tokensPerSecond, String note) {}

    private final List<Row> rows = new ArrayList<>();
    private final List<String> checks = new ArrayList<>();
    private Path model = Path.of("datasets/models/tinystories-base");
    private int newTokens = 256;
    private int batchRows = 64;
    private int smolTokens = 64;
    private Path llama2c;
    private int repeats = 3;
    private boolean smol = true;
    private Path out;
    private long seed = 1234;

    public static void main(String[] args) throws IOException {
        DecodeBench bench = parse(args);
        String markdown = bench.run();
        if (bench.out != null) {
            AtomicFiles.writeString(bench.out, markdown);
        }
        System.out.print(markdown);
    }

    static DecodeBench parse(String... args) {
        DecodeBench b = new DecodeBench();
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--no-smol")) {
                b.smol = false;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + option + " needs a value");
            }
            String value = args[++i];
            switch (option) {
                case "--model" -> b.model = Path.of(value);
                case "--new-tokens" -> b.newTokens = Integer.parseInt(value);
                case "--rows" -> b.batchRows = Integer.parseInt(value);
                case "--smol-tokens" -> b.smolTokens = Integer.parseInt(value);
                case "--llama2c" -> b.llama2c = Path.of(value);
                case "--repeats" -> b.repeats = Integer.parseInt(value);
                case "--out" -> b.out = Path.of(value);
                case "--seed" -> b.seed = Long.parseLong(value);
                default -> throw new IllegalArgumentException("unknown option " + option + " (expected --model, "
                        + "--new-tokens, --rows, --smol-tokens, --llama2c, --repeats, --no-smol, --out, --seed)");
            }
        }
        return b;
    }

    String run() throws IOException {
        Machine machine = Machine.current();
        log("%s, %d cores; libtorch %d threads", machine.cpuModel(), machine.cores(), machine.threads());
        try (LanguageModel lm = Models.load(model)) {
            String name = model.getFileName().toString();
            long[] prompt = lm.tokenizer().encode(PROMPT);
            LlamaModel m = lm.model();
            single(name, m, prompt, newTokens, machine.threads(), true);
            greedyOnce(name + ", no KV cache", m, prompt, newTokens, machine.threads());
            batched(name, m, prompt, machine.threads());
            reference(name, m, prompt.length, newTokens);
        }
        if (smol) {
            log("SmolLM2-135M shape: creating random weights");
            try (LlamaModel m = LlamaModel.create(SMOL_SHAPE, seed)) {
                long[] prompt = new SplittableRandom(seed).ints(8, 3, SMOL_SHAPE.vocabSize()).asLongStream().toArray();
                single("SmolLM2-135M shape (random)", m, prompt, smolTokens, machine.threads(), false);
                reference("SmolLM2-135M shape (random)", m, prompt.length, smolTokens);
            }
        }
        return markdown(machine);
    }

    /** Greedy, one row: Java on 1 and 2 threads and DJL; the tokens of all three must agree. */
    private void single(String name, LlamaModel m, long[] prompt, int tokens, int torchThreads, boolean compareCache) {
        GenerationConfig greedy = GenerationConfig.greedy().stopAtEos(false).maxNewTokens(tokens);
        String setting = String.format(Locale.ROOT, "greedy, %d new tokens after %d, KV cache", tokens, prompt.length);
        List<long[]> prompts = List.of(prompt);
        Timed java1 = time(() -> generator(m, Backend.JAVA, 1).generate(prompts, greedy), repeats);
        Timed java2 = time(() -> generator(m, Backend.JAVA, 2).generate(prompts, greedy), repeats);
        Timed djl = time(() -> generator(m, Backend.DJL, 1).generate(prompts, greedy), compareCache ? repeats : 1);
        add(name, "tunelab Java decoder", 1, setting, tokens / java1.seconds, "");
        add(name, "tunelab Java decoder", 2, setting, tokens / java2.seconds, "");
        add(name, "tunelab DJL forward", torchThreads, setting, tokens / djl.seconds, "");
        check(name + ", greedy: Java (1 and 2 threads) and DJL tokens identical",
                same(java1.result, djl.result) && same(java2.result, djl.result));
        if (compareCache) {
            GenerationConfig uncached = greedy.useCache(false);
            Timed javaNoCache = time(() -> generator(m, Backend.JAVA, 1).generate(prompts, uncached), 1);
            add(name, "tunelab Java decoder", 1, setting.replace("KV cache", "no KV cache"), tokens / javaNoCache.seconds,
                    String.format(Locale.ROOT, "KV cache speed-up %.1fx", javaNoCache.seconds / java1.seconds));
            check(name + ", greedy: Java with and without KV cache tokens identical", same(java1.result, javaNoCache.result));
        }
    }

    /** The DJL path without the cache, once (it takes seconds). */
    private void greedyOnce(String name, LlamaModel m, long[] prompt, int tokens, int torchThreads) {
        GenerationConfig greedy = GenerationConfig.greedy().stopAtEos(false).maxNewTokens(tokens);
        Timed cached = time(() -> generator(m, Backend.DJL, 1).generate(List.of(prompt), greedy), 1);
        Timed uncached = time(() -> generator(m, Backend.DJL, 1).generate(List.of(prompt), greedy.useCache(false)), 1);
        add(name.replace(", no KV cache", ""), "tunelab DJL forward", torchThreads,
                String.format(Locale.ROOT, "greedy, %d new tokens after %d, no KV cache", tokens, prompt.length),
                tokens / uncached.seconds,
                String.format(Locale.ROOT, "KV cache speed-up %.1fx", uncached.seconds / cached.seconds));
    }

    /** {@link #batchRows} copies of the prompt sampled together at temperature 1. */
    private void batched(String name, LlamaModel m, long[] prompt, int torchThreads) {
        GenerationConfig sample = GenerationConfig.sample(1.0).seed(seed).stopAtEos(false).maxNewTokens(newTokens);
        List<long[]> prompts = Collections.nCopies(batchRows, prompt);
        String setting = String.format(Locale.ROOT, "%d rows sampled (T = 1), %d new tokens each", batchRows, newTokens);
        long total = (long) batchRows * newTokens;
        Timed java1 = time(() -> generator(m, Backend.JAVA, 1).generate(prompts, sample), repeats);
        Timed java2 = time(() -> generator(m, Backend.JAVA, 2).generate(prompts, sample), repeats);
        Timed djl = time(() -> generator(m, Backend.DJL, 1).generate(prompts, sample), 1);
        add(name, "tunelab Java decoder", 1, setting, total / java1.seconds, "");
        add(name, "tunelab Java decoder", 2, setting, total / java2.seconds, "");
        add(name, "tunelab DJL forward", torchThreads, setting, total / djl.seconds, "");
        check(name + ", " + batchRows + " sampled rows: Java and DJL tokens identical (same seed)",
                same(java1.result, djl.result) && same(java2.result, djl.result));
    }

    /** run.c on the same weights, 1 thread and 2 OpenMP threads, when --llama2c names its build. */
    private void reference(String name, LlamaModel m, int promptTokens, int tokens) throws IOException {
        if (llama2c == null) {
            return;
        }
        Path dir = Files.createTempDirectory("tunelab-llama2c");
        try {
            Llama2c.export(m, dir);
            String setting = String.format(Locale.ROOT, "greedy, %d new tokens after %d", tokens, promptTokens);
            int steps = promptTokens + tokens;
            double one = best(() -> Llama2c.run(llama2c.resolve("run"), dir, steps, promptTokens, 1));
            double two = best(() -> Llama2c.run(llama2c.resolve("runomp"), dir, steps, promptTokens, 2));
            add(name, "llama2.c run.c", 1, setting, one, "");
            add(name, "llama2.c run.c (OpenMP)", 2, setting, two, "");
        } finally {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    private static Generator generator(LlamaModel m, Backend backend, int threads) {
        return new Generator(m, m.config().eosTokenId(), m.config().padTokenId(), null).backend(backend).threads(threads);
    }

    private record Timed(double seconds, List<Generation> result) {}

    /** Best of {@code n} timed runs after one untimed warm-up run. */
    private static Timed time(Supplier<List<Generation>> run, int n) {
        List<Generation> result = run.get();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            result = run.get();
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
        }
        return new Timed(best, result);
    }

    private double best(Supplier<Double> run) {
        double best = 0;
        for (int i = 0; i < repeats; i++) {
            best = Math.max(best, run.get());
        }
        return best;
    }

    private static boolean same(List<Generation> a, List<Generation> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i).tokens(), b.get(i).tokens())) {
                return false;
            }
        }
        return true;
    }

    private void add(String model, String decoder, int threads, String setting, double tokensPerSecond, String note) {
        log("%s | %s | %d | %s: %,.1f tokens/s %s", model, decoder, threads, setting, tokensPerSecond, note);
        rows.add(new Row(model, decoder, threads, setting, tokensPerSecond, note));
    }

    private void check(String what, boolean ok) {
        log("%s: %s", what, ok ? "yes" : "NO");
        checks.add(what + ": " + (ok ? "yes" : "NO"));
    }

    /** The table; tokens/s relative to run.c on one thread for the same model and prompt, where it ran. */
    String markdown(Machine machine) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s, %d cores; Java %s, DJL %s, libtorch %s (%d threads); %s%n%n",
                machine.cpuModel(), machine.cores(), machine.java(), machine.djl(), machine.libtorch(), machine.threads(),
                machine.date()));
        sb.append("| model | decoder | threads | setting | tokens/s | vs run.c, 1 thread | note |\n");
        sb.append("| --- | --- | --- | --- | --- | --- | --- |\n");
        List<Row> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparing(Row::model).thenComparing(r -> r.setting().contains("rows"))
                .thenComparing(r -> r.setting().contains("no KV")));
        for (Row r : sorted) {
            double reference = rows.stream().filter(x -> x.model().equals(r.model()) && x.decoder().equals("llama2.c run.c"))
                    .mapToDouble(Row::tokensPerSecond).findFirst().orElse(Double.NaN);
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %,.1f | %s | %s |%n", r.model(), r.decoder(),
                    r.threads(), r.setting(), r.tokensPerSecond(),
                    Double.isNaN(reference) ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * r.tokensPerSecond() / reference),
                    r.note()));
        }
        sb.append('\n');
        for (String c : checks) {
            sb.append("- ").append(c).append('\n');
        }
        return sb.toString();
    }

    private static void log(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[decode-bench] " + format + "%n", args);
    }
}
