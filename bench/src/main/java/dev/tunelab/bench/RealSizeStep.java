package dev.tunelab.bench;

import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.MemoryEstimate;
import dev.tunelab.model.WeightStorage;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.peft.Quantization;
import dev.tunelab.train.TokenWindows;
import dev.tunelab.train.TrainConfig;
import dev.tunelab.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One row of the real-size benchmark, in a process of its own so that its peak resident memory
 * (VmHWM) is this row's alone: loads a model folder with a weight storage, optionally attaches LoRA
 * r=16 to every linear layer, runs {@code steps} training steps of batch 1 x {@code seq} on random
 * tokens through {@code Trainer.fit}, and prints one JSON line.
 *
 * <p>Usage: RealSizeStep DIR full|lora fp32|fp16|nf4 on|off STEPS SEQ (STEPS 0: load only)
 */
public final class RealSizeStep {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        boolean lora = args[1].equals("lora");
        WeightStorage storage = switch (args[2]) {
            case "fp32" -> WeightStorage.FP32;
            case "fp16" -> WeightStorage.FP16;
            case "nf4" -> Quantization.nf4();
            default -> throw new IllegalArgumentException("storage: fp32, fp16 or nf4, got " + args[2]);
        };
        boolean checkpointing = args[3].equals("on");
        int steps = Integer.parseInt(args[4]);
        int seq = Integer.parseInt(args[5]);

        Map<String, Object> row = new LinkedHashMap<>();
        warmUpRuntime(args[1].equals("lora"), args[3].equals("on"));
        row.put("runtime_rss", ProcessMemory.residentBytes()); // JVM + libtorch with their training code paths run, before any weight
        long t0 = System.nanoTime();
        LlamaModel model = LlamaModel.load(dir, storage);
        row.put("load_s", (System.nanoTime() - t0) / 1e9);
        row.put("load_peak_rss", PeakMemory.highWaterBytes());
        row.put("loaded_rss", ProcessMemory.residentBytes());
        row.put("native_heap", dev.tunelab.io.NativeHeap.state()); // already fixed by the load: what it did
        if (steps == 0) { // load only
            row.put("parameters", model.config().parameterCount());
            System.out.println(new ObjectMapper().writeValueAsString(row));
            model.close();
            return;
        }
        PeftModel peft = lora ? Lora.apply(model, LoraConfig.builder().r(16).alpha(32).targetModules(LoraConfig.ALL_LINEAR).build()) : null;
        long trainable = model.trainableParameterCount();
        row.put("trainable", trainable);
        MemoryEstimate estimate = MemoryEstimate.ofTraining(model.config(), storage, DataType.FLOAT32, trainable, 1, seq, checkpointing);
        row.put("estimate", estimate.total());
        row.put("estimate_text", estimate.toString());

        long[] tokens = TrainingBench.randomTokens(model.config().vocabSize(), 7);
        StepClock clock = new StepClock(new TokenWindows(tokens, 1, seq, 7), steps, Set.of());
        TrainConfig cfg = new TrainConfig().steps(steps).learningRate(1e-4).runsDir(null).progress(false).logEvery(1)
                .gradientCheckpointing(checkpointing);
        row.put("device", model.device().toString());
        row.put("compute_dtype", model.dtype().toString());
        var result = peft != null ? Trainer.fit(peft, clock, null, cfg) : Trainer.fit(model, clock, null, cfg);
        long end = System.nanoTime();
        double[] seconds = new double[steps];
        for (int s = 0; s < steps; s++) {
            seconds[s] = ((s + 1 < steps ? clock.startNanos(s + 1) : end) - clock.startNanos(s)) / 1e9;
        }
        // the first step warms up (allocator, lazy initialisation): time the others
        double[] timed = steps > 1 ? Arrays.copyOfRange(seconds, 1, steps) : seconds;
        Arrays.sort(timed);
        double step = timed[timed.length / 2];
        row.put("step_seconds", seconds);
        row.put("step_s", step);
        row.put("tokens_per_s", seq / step);
        row.put("peak_rss", PeakMemory.highWaterBytes());
        if (model.device().isGpu()) {
            // total minus free on the device: what PyTorch's caching allocator holds after the steps, plus the CUDA context
            row.put("gpu_memory_used", ai.djl.util.cuda.CudaUtils.getGpuMemory(model.device()).getUsed());
        }
        row.put("loss", result.metrics().get("loss"));
        row.put("parameters", model.config().parameterCount());
        System.out.println(new ObjectMapper().writeValueAsString(row));
        model.close();
    }

    /**
     * Two training steps of a tiny random model with this row's mode and checkpointing: libtorch's
     * and the JVM's code, thread pools and heap for training become resident (about 0.2 GiB, where
     * loading libtorch alone leaves 0.04), so that the row's estimate plus this baseline is
     * compared with the row's peak, and not the runtime's growth with it.
     */
    private static void warmUpRuntime(boolean lora, boolean checkpointing) {
        var config = dev.tunelab.model.LlamaConfig.builder().vocabSize(256).hiddenSize(64).intermediateSize(128).layers(2)
                .heads(4).kvHeads(2).maxPositions(128).build();
        try (LlamaModel tiny = LlamaModel.create(config, 1)) {
            PeftModel peft = lora ? Lora.apply(tiny, LoraConfig.builder().r(4).alpha(8).targetModules(LoraConfig.ALL_LINEAR).build()) : null;
            TrainConfig cfg = new TrainConfig().steps(2).learningRate(1e-4).runsDir(null).progress(false).gradientCheckpointing(checkpointing);
            TokenWindows windows = new TokenWindows(TrainingBench.randomTokens(256, 3), 1, 64, 3);
            if (peft != null) Trainer.fit(peft, windows, null, cfg); else Trainer.fit(tiny, windows, null, cfg);
        }
    }

    /**
     * Runs one row in a JVM of its own (this class path, -Xmx3g plus {@code jvmOptions}) and returns
     * the JSON line it printed, or null (with the reason on stderr) when it failed.
     */
    static com.fasterxml.jackson.databind.JsonNode inChildJvm(List<String> jvmOptions, List<String> args)
            throws java.io.IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-Xmx3g"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), RealSizeStep.class.getName()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String stdout = new String(p.getInputStream().readAllBytes());
        int code = p.waitFor();
        String last = stdout.lines().filter(l -> l.startsWith("{")).reduce((x, y) -> y).orElse(null);
        if (code != 0 || last == null) {
            System.err.println("row " + String.join(" ", args) + " failed with exit code " + code + ": " + stdout);
            return null;
        }
        return new ObjectMapper().readTree(last);
    }

    /** VmHWM of /proc/self/status: the most resident memory this process has had. */
    static final class PeakMemory {
        static long highWaterBytes() throws java.io.IOException {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/status"));
            for (String line : lines) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024; // proc(5): kB
                }
            }
            throw new IllegalStateException("/proc/self/status has no VmHWM line");
        }
    }
}
