package dev.tunelab.bench;

import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.recipes.stories.StoryOpenings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Teacher generation throughput for synthetic data (issue 7): the teacher samples a fixed number
 * of new tokens (end-of-text ignored, so every row costs the same) after story openings, batched
 * and with the KV cache, at each batch size; one warm-up batch per size first. Prints a Markdown
 * table of tokens per second.
 *
 * <pre>
 * bench/run-distill-bench [--model datasets/models/tinystories-base] [--batches 1,4,16,64] [--new-tokens 128]
 * </pre>
 */
public final class TeacherThroughputBench {
    private TeacherThroughputBench() {}

    /** One batch size's timing. */
    public record Row(int batch, int newTokens, double seconds) {
        public double tokensPerSecond() {
            return batch * (double) newTokens / seconds;
        }
    }

    public static List<Row> run(LanguageModel teacher, List<Integer> batches, int newTokens) {
        List<String> openings = StoryOpenings.sample(64, 1).stream().map(StoryOpenings.Opening::prompt).toList();
        GenerationConfig sampling = GenerationConfig.sample(0.8).topP(0.95).stopAtEos(false).maxNewTokens(newTokens);
        List<Row> rows = new ArrayList<>();
        for (int b : batches) {
            List<String> prompts = new ArrayList<>();
            for (int i = 0; i < b; i++) prompts.add(openings.get(i % openings.size()));
            teacher.generate(prompts, sampling.maxNewTokens(8).seed(0)); // warm-up: allocation, thread start
            long start = System.nanoTime();
            List<Generation> out = teacher.generate(prompts, sampling.seed(1));
            double seconds = (System.nanoTime() - start) / 1e9;
            for (Generation g : out) {
                if (g.tokens().length != newTokens) throw new IllegalStateException("expected " + newTokens + " tokens, got " + g.tokens().length);
            }
            rows.add(new Row(b, newTokens, seconds));
            System.err.printf(Locale.ROOT, "batch %d: %.1f s%n", b, seconds);
        }
        return rows;
    }

    public static void main(String[] args) throws IOException {
        Path model = Path.of("datasets/models/tinystories-base");
        List<Integer> batches = List.of(1, 4, 16, 64);
        int newTokens = 128;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--batches" -> batches = java.util.Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--new-tokens" -> newTokens = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (expected --model DIR, --batches 1,4,16,64, --new-tokens N)");
            }
        }
        Machine machine = Machine.current();
        String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
        List<Row> rows;
        try (LanguageModel teacher = Models.load(model)) {
            rows = run(teacher, batches, newTokens);
        }
        String loadAfter = Files.readString(Path.of("/proc/loadavg")).trim();
        System.out.printf(Locale.ROOT, "Teacher generation, %s, %d new tokens per row after a story opening, temperature 0.8, top-p 0.95, KV cache%n",
                model.getFileName(), newTokens);
        System.out.printf(Locale.ROOT, "%s, %d cores, %d PyTorch threads, %s, Java %s, DJL %s, libtorch %s; /proc/loadavg before: %s, after: %s%n%n",
                machine.cpuModel(), machine.cores(), machine.threads(), machine.date(), machine.java(), machine.djl(), machine.libtorch(),
                loadBefore, loadAfter);
        System.out.println("| batch | new tokens | seconds | tokens/s | vs batch 1 |");
        System.out.println("| --- | --- | --- | --- | --- |");
        double one = rows.get(0).tokensPerSecond();
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %d | %,d | %.2f | %.0f | %.1fx |%n", r.batch(), r.batch() * r.newTokens(), r.seconds(),
                    r.tokensPerSecond(), r.tokensPerSecond() / one);
        }
    }
}
