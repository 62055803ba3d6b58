package dev.tunelab.bench;

import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.train.Batch;
import dev.tunelab.train.BatchSource;
import dev.tunelab.train.Losses;
import dev.tunelab.train.PackedBatches;
import dev.tunelab.train.SftBatches;
import dev.tunelab.train.SftSequence;
import dev.tunelab.train.TrainConfig;
import dev.tunelab.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Sample packing against padded batches (issue 14): LoRA r=8 SFT steps on the tinystories-base
 * shape of {@link PeftBenchmark}, on synthetic examples whose lengths spread like instruction
 * data (log-normal, median about 64 tokens, cut at {@code --max} tokens, the first half an
 * unlabelled prompt). Both arms see the same examples; the padded arm takes {@code --batch}
 * examples a batch, padded to the longest; the packed arm fills rows of {@code --max} tokens by
 * best-fit decreasing, {@code --rows} rows a batch. Reported: real (non-padding) tokens per second
 * over the timed steps, after 2 warm-up steps.
 *
 * <p>Run: {@code bench/run-packing-bench [--steps 10] [--batch 8] [--rows 4] [--max 256]}.
 */
public final class PackingBench {
    private PackingBench() {}

    public static void main(String[] args) {
        int steps = 10;
        int batch = 8;
        int rows = 4;
        int max = 256;
        for (int i = 0; i < args.length; i += 2) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--steps" -> steps = Integer.parseInt(value);
                case "--batch" -> batch = Integer.parseInt(value);
                case "--rows" -> rows = Integer.parseInt(value);
                case "--max" -> max = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; options: --steps N --batch N --rows N --max TOKENS");
            }
        }
        List<SftSequence> examples = examples(512, max, 4096);
        SftBatches padded = new SftBatches(examples, 0, batch, 1, true, 0, "bench");
        PackedBatches packed = PackedBatches.of(padded, max, rows);
        System.out.println(packed);
        double[] paddedArm = arm(padded, steps);
        double[] packedArm = arm(packed, steps);
        System.out.println("| batches | real tokens / step | positions / step | padding | s / step | real tokens/s |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        System.out.println(row("padded, " + batch + " examples", paddedArm));
        System.out.println(row("packed, " + rows + " rows of <= " + max, packedArm));
        System.out.printf("packing gain: %.2fx real tokens/s%n", packedArm[3] / paddedArm[3]);
    }

    private static String row(String name, double[] a) {
        return String.format("| %s | %.0f | %.0f | %.1f%% | %.3f | %,.0f |", name, a[0], a[1], 100 * (1 - a[0] / a[1]), a[2], a[3]);
    }

    /** {real tokens per step, positions per step, seconds per step, real tokens per second}. */
    private static double[] arm(BatchSource data, int steps) {
        try (LlamaModel base = LlamaModel.create(PeftBenchmark.defaultConfig(), 1)) {
            var lora = Lora.apply(base, LoraConfig.builder().r(8).alpha(16).allLinear().build());
            Trainer.fit(lora, data, null, new TrainConfig().steps(2).runsDir(null).progress(false).logEvery(1000));
            long start = System.nanoTime();
            Trainer.fit(lora, data, null, new TrainConfig().steps(steps).runsDir(null).progress(false).logEvery(1000));
            double seconds = (System.nanoTime() - start) / 1e9;
            long real = 0;
            long positions = 0;
            for (int i = 0; i < steps; i++) {
                Batch b = data.batch(i);
                positions += (long) b.size() * b.length();
                for (long[] row : b.attentionMask()) {
                    for (long v : row) {
                        real += v;
                    }
                }
            }
            return new double[] {(double) real / steps, (double) positions / steps, seconds / steps, real / seconds};
        }
    }

    /** n examples with log-normal lengths (median 64, sigma 0.7) in [8, max]; the first half unlabelled. */
    static List<SftSequence> examples(int n, int max, int vocab) {
        SplittableRandom random = new SplittableRandom(3);
        List<SftSequence> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double gaussian = Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
            int length = (int) Math.max(8, Math.min(max, Math.round(64 * Math.exp(0.7 * gaussian))));
            long[] ids = new long[length];
            long[] labels = new long[length];
            for (int t = 0; t < length; t++) {
                ids[t] = random.nextInt(vocab);
                labels[t] = t < length / 2 ? Losses.IGNORE_INDEX : ids[t];
            }
            out.add(new SftSequence(ids, labels, false, false));
        }
        return out;
    }
}
