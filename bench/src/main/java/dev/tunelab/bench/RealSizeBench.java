package dev.tunelab.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.model.LlamaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The real-size benchmark (issue 19): for real models' shapes filled with random bf16 weights
 * (datasets/configs/*.json, written once to a cache folder), each row loads the folder and trains a few
 * steps in a child JVM of its own ({@link RealSizeStep}), so each peak RSS belongs to one setting.
 * Prints a Markdown table, the fp32 matmul peak, and PyTorch eager's full fine-tuning step on the
 * smallest shape; with --out it also writes the rows as JSON lines.
 *
 * <p>Usage: RealSizeBench --cache DIR [--shapes a,b (in this order)] [--rows lora-nf4,full-fp32-off] [--load-only]
 * [--seq 512] [--steps 3] [--out FILE] [--no-torch]. {@code --rows} keeps the rows whose "mode-storage-checkpointing"
 * starts with one of the given prefixes; {@code --load-only} only loads each row's model (load time and peaks).
 */
public final class RealSizeBench {
    /** shape, mode, storage, checkpointing: the rows, in order. */
    private static final String[][] PLAN = {
            {"smollm2-135m", "full", "fp32", "off"}, {"smollm2-135m", "full", "fp32", "on"},
            {"smollm2-135m", "lora", "fp32", "off"}, {"smollm2-135m", "lora", "fp32", "on"},
            {"smollm2-135m", "lora", "fp16", "on"},
            {"smollm2-135m", "lora", "nf4", "off"}, {"smollm2-135m", "lora", "nf4", "on"},
            {"qwen2.5-0.5b", "lora", "fp32", "off"}, {"qwen2.5-0.5b", "lora", "fp16", "on"}, {"qwen2.5-0.5b", "lora", "nf4", "on"},
            {"llama-3.2-1b", "lora", "fp32", "off"}, {"llama-3.2-1b", "lora", "fp32", "on"},
            {"llama-3.2-1b", "lora", "fp16", "on"}, {"llama-3.2-1b", "lora", "nf4", "on"},
            {"llama-2-7b", "lora", "nf4", "on"},
    };

    public static void main(String[] args) throws Exception {
        Path cache = null;
        List<String> shapes = null;
        int seq = 512;
        int steps = 3;
        Path out = null;
        boolean torch = true;
        List<String> rows = null;
        boolean loadOnly = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--cache" -> cache = Path.of(args[++i]);
                case "--shapes" -> shapes = List.of(args[++i].split(","));
                case "--seq" -> seq = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--no-torch" -> torch = false;
                case "--rows" -> rows = List.of(args[++i].split(","));
                case "--load-only" -> loadOnly = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (cache == null) {
            throw new IllegalArgumentException("--cache DIR is required (random checkpoints are written there: 13.5 GB for 7B)");
        }
        Path shapesDir = Path.of("datasets", "configs");
        ai.djl.engine.Engine.getInstance(); // loads libtorch before the first native call
        MatmulPeak peak = loadOnly ? null : MatmulPeak.measure(2048, 10);
        if (peak != null) {
            System.err.printf(Locale.ROOT, "fp32 matmul peak: %.1f GFLOP/s%n", peak.flopsPerSecond() / 1e9);
        }
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        StringBuilder table = new StringBuilder();
        table.append("| shape | parameters | mode | base weights | checkpointing | load s | load peak RSS | step peak RSS | estimate | s/step | tokens/s | model FLOP/s (share of peak) |\n");
        table.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        List<String[]> plan = new ArrayList<>();
        for (String shape : shapes != null ? shapes : List.of(PLAN).stream().map(r -> r[0]).distinct().toList()) {
            for (String[] row : PLAN) {
                String key = row[1] + "-" + row[2] + "-" + row[3];
                if (row[0].equals(shape) && (rows == null || rows.stream().anyMatch(key::startsWith))) {
                    plan.add(row);
                }
            }
        }
        for (String[] row : plan) {
            Path config = shapesDir.resolve(row[0] + ".json");
            Path dir = RandomCheckpoint.ensure(config, cache.resolve(row[0]), 1);
            System.err.println("row: " + String.join(" ", row));
            int rowSteps = loadOnly ? 0 : row[0].equals("llama-2-7b") ? 2 : steps;
            JsonNode r = child(dir, row, rowSteps, seq);
            if (r == null) {
                table.append("| ").append(row[0]).append(" | | ").append(row[1]).append(" | ").append(row[2]).append(" | ")
                        .append(row[3]).append(" | failed (see stderr) | | | | | | |\n");
                continue;
            }
            var labelled = new ObjectMapper().createObjectNode().put("shape", row[0]).put("mode", row[1]).put("storage", row[2])
                    .put("checkpointing", row[3].equals("on"));
            labelled.setAll((com.fasterxml.jackson.databind.node.ObjectNode) r);
            lines.add(labelled.toString());
            if (loadOnly) {
                table.append(String.format(Locale.ROOT, "| %s | | %s | %s | %s | %.1f | %s | (load only) | | | | |%n",
                        row[0], row[1], row[2], row[3], r.get("load_s").asDouble(), gib(r.get("load_peak_rss").asLong())));
                continue;
            }
            LlamaConfig c = LlamaConfig.load(config);
            // FLOPs per token: forward 2N; backward 4N for full fine-tuning, 2N (input gradients only) for a frozen
            // base; a checkpointed layer runs forward twice (Kaplan et al. 2020; PaLM appendix B for the attention term)
            double n = c.parameterCount();
            double attention = 12.0 * c.numHiddenLayers() * seq * c.hiddenSize() / 3; // per pass: 1/3 of PaLM's 12 L T d
            double passes = (row[1].equals("full") ? 3 : 2) + (row[3].equals("on") ? 1 : 0);
            double flops = passes * (2 * n + 2 * attention) * seq;
            double rate = flops / r.get("step_s").asDouble();
            table.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %.1f | %s | %s | %s | %.2f | %.0f | %.1f GFLOP/s (%.0f%%) |%n",
                    row[0], millions(n), row[1].equals("full") ? "full" : "LoRA r=16", row[2], row[3], r.get("load_s").asDouble(),
                    gib(r.get("load_peak_rss").asLong()), gib(r.get("peak_rss").asLong()),
                    gib(r.get("estimate").asLong() + r.get("runtime_rss").asLong()), r.get("step_s").asDouble(),
                    r.get("tokens_per_s").asDouble(), rate / 1e9, 100 * rate / peak.flopsPerSecond()));
        }
        System.out.println(table);
        if (peak != null) {
            System.out.printf(Locale.ROOT, "fp32 matmul peak (DJL, 2048 x 2048, best of 10): %.1f GFLOP/s%n", peak.flopsPerSecond() / 1e9);
        }
        if (torch && !loadOnly && (shapes == null || shapes.contains("smollm2-135m"))) {
            System.out.println("PyTorch eager, full fine-tuning step at the smollm2-135m shape (batch 1 x " + seq + "): "
                    + torchStep(seq));
        }
        if (out != null) {
            Files.write(out, lines);
        }
    }

    private static JsonNode child(Path dir, String[] row, int steps, int seq) throws IOException, InterruptedException {
        return RealSizeStep.inChildJvm(List.of("-Dai.djl.offline=true"),
                List.of(dir.toString(), row[1], row[2], row[3], String.valueOf(steps), String.valueOf(seq)));
    }

    private static String torchStep(int seq) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/usr/bin/python3", "bench/torch_llama_step.py", "--threads",
                System.getenv().getOrDefault("OMP_NUM_THREADS", String.valueOf(Runtime.getRuntime().availableProcessors())),
                "--batch", "1", "--seq", String.valueOf(seq), "--warmup", "1", "--steps", "2", "--vocab", "49152",
                "--hidden", "576", "--intermediate", "1536", "--layers", "30", "--heads", "9", "--kv-heads", "3",
                "--eps", "1e-5", "--rope-theta", "100000", "--dropout", "0", "--lr", "1e-4", "--weight-decay", "0")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String stdout = new String(p.getInputStream().readAllBytes()).trim();
        return p.waitFor() == 0 ? stdout : "failed (python3-torch missing?)";
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }

    private static String millions(double n) {
        return n >= 1e9 ? String.format(Locale.ROOT, "%.2fB", n / 1e9) : String.format(Locale.ROOT, "%.0fM", n / 1e6);
    }
}
