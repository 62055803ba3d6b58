package dev.tunelab.bench;

import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * GPU readiness ({@code bin/gpu-check}): on a CUDA machine, one LoRA step on an fp16 base and one
 * QLoRA step on an NF4 base of a real model's shape (random weights, LoRA r=16 on every linear
 * layer, gradient checkpointing on), each in a JVM of its own so that the GPU memory one row reports
 * is its own. Prints the device, the dtypes, tokens/s of the second step and the GPU memory in use
 * after it: PyTorch's caching allocator keeps what a step used, so that bounds the step's peak from
 * above (it includes the CUDA context).
 *
 * <p>Usage: GpuCheck --cache DIR [--shape smollm2-135m] [--seq 512]
 */
public final class GpuCheck {
    public static void main(String[] args) throws Exception {
        Path cache = null;
        String shape = "smollm2-135m";
        int seq = 512;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--cache" -> cache = Path.of(args[++i]);
                case "--shape" -> shape = args[++i];
                case "--seq" -> seq = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--cache DIR, --shape NAME, --seq N)");
            }
        }
        if (cache == null) throw new IllegalArgumentException("--cache DIR is required (the random checkpoint is written there)");
        Path config = Path.of("datasets/configs", shape + ".json");
        if (!Files.isRegularFile(config)) throw new IllegalArgumentException("no shape " + shape + ": " + config + " does not exist");

        Engine engine = Engine.getEngine("PyTorch");
        System.out.printf(Locale.ROOT, "engine %s %s, default device %s, GPUs visible: %d%n", engine.getEngineName(),
                engine.getVersion(), engine.defaultDevice(), engine.getGpuCount());
        if (engine.getGpuCount() == 0) {
            System.err.println("bin/gpu-check: DJL's PyTorch engine sees no CUDA device. Build with `mvn -Pgpu -DskipTests "
                    + "package` on a machine with an NVIDIA driver, and give DJL libtorch 2.7.1 for CUDA (README, section GPU).");
            System.exit(2);
        }
        Path dir = RandomCheckpoint.ensure(config, cache.resolve(shape), 1);

        System.out.println("| mode | base stored as | device | compute dtype | tokens/s | GPU memory in use after the step | loss |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
        for (String storage : List.of("fp16", "nf4")) {
            JsonNode row = child(dir, storage, seq);
            if (row == null) {
                System.exit(1);
            }
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %.0f | %.2f GiB | %.4f |%n", storage.equals("nf4") ? "QLoRA" : "LoRA",
                    storage, row.get("device").asText(), row.get("compute_dtype").asText(), row.get("tokens_per_s").asDouble(),
                    row.path("gpu_memory_used").asLong(-1) / (double) (1L << 30), row.get("loss").asDouble());
        }
    }

    /** One RealSizeStep in a JVM of its own: LoRA on the stored base, 2 steps (the second timed), checkpointing on. */
    private static JsonNode child(Path dir, String storage, int seq) throws Exception {
        // the GPU build may have to fetch libtorch for CUDA once: pass DJL's offline switch only when it was given
        String offline = System.getProperty("ai.djl.offline");
        return RealSizeStep.inChildJvm(offline == null ? List.of() : List.of("-Dai.djl.offline=" + offline),
                List.of(dir.toString(), "lora", storage, "on", "2", String.valueOf(seq)));
    }
}
