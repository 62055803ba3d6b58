package dev.tunelab.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.model.LlamaConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The same training step in Python PyTorch eager ({@code bench/torch_llama_step.py}), run as a
 * child process with the same shapes, optimizer settings and thread count, after tunelab's own
 * measurement (never at the same time, so the two do not share the cores).
 */
public record TorchReference(String torchVersion, int threads, List<String> blasLibraries, long parameters,
        double firstLoss, double lastLoss, int measuredSteps, double seconds, double tokensPerSecond) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static TorchReference run(String python, Path script, LlamaConfig c, int batch, int sequenceLength,
            int warmup, int measured, int threads, long seed) {
        if (!Files.isRegularFile(script)) {
            throw new IllegalArgumentException("PyTorch reference script " + script.toAbsolutePath()
                    + " not found (run from the repository root or pass --torch-script)");
        }
        if (c.headDim() * c.numAttentionHeads() != c.hiddenSize() || c.ropeScaling() != null || c.mlpBias()
                || c.attentionBias() || !c.tieWordEmbeddings()) {
            throw new IllegalArgumentException("the PyTorch reference covers tied, bias-free Llamas with head_dim = "
                    + "hidden / heads and no rope_scaling; got " + c);
        }
        List<String> command = new ArrayList<>(List.of(python, script.toString(),
                "--threads", String.valueOf(threads), "--batch", String.valueOf(batch),
                "--seq", String.valueOf(sequenceLength), "--warmup", String.valueOf(warmup),
                "--steps", String.valueOf(measured), "--vocab", String.valueOf(c.vocabSize()),
                "--hidden", String.valueOf(c.hiddenSize()), "--intermediate", String.valueOf(c.intermediateSize()),
                "--layers", String.valueOf(c.numHiddenLayers()), "--heads", String.valueOf(c.numAttentionHeads()),
                "--kv-heads", String.valueOf(c.numKeyValueHeads()), "--eps", String.valueOf(c.rmsNormEps()),
                "--rope-theta", String.valueOf(c.ropeTheta()), "--dropout", String.valueOf(c.attentionDropout()),
                "--lr", String.valueOf(TrainingBench.LEARNING_RATE),
                "--weight-decay", String.valueOf(TrainingBench.WEIGHT_DECAY),
                "--clip", String.valueOf(TrainingBench.CLIP_NORM), "--seed", String.valueOf(seed)));
        String stdout;
        int exit;
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
            // OpenBLAS runs its own thread pool beside PyTorch's OpenMP one: both get the same count.
            builder.environment().put("OMP_NUM_THREADS", String.valueOf(threads));
            builder.environment().put("OPENBLAS_NUM_THREADS", String.valueOf(threads));
            Process process = builder.start();
            stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            exit = process.waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start '" + python + "' for the PyTorch reference (install "
                    + "python3-torch, or pass --python or --no-torch)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the PyTorch reference ran", e);
        }
        if (exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + exit + "; stdout: " + stdout);
        }
        return parse(stdout, script.toString());
    }

    /** The script's last stdout line: one JSON object. */
    static TorchReference parse(String stdout, String source) {
        String[] lines = stdout.strip().split("\n");
        String last = lines[lines.length - 1];
        JsonNode n;
        try {
            n = JSON.readTree(last);
        } catch (IOException e) {
            throw new IllegalStateException(source + ": expected a JSON object on the last line of its output, got '"
                    + last + "'", e);
        }
        List<String> blas = new ArrayList<>();
        require(n, "blas_libraries", source).forEach(b -> blas.add(b.asText()));
        return new TorchReference(require(n, "torch_version", source).asText(), require(n, "threads", source).asInt(),
                blas, require(n, "parameters", source).asLong(), require(n, "first_loss", source).asDouble(),
                require(n, "last_loss", source).asDouble(), require(n, "measured_steps", source).asInt(),
                require(n, "seconds", source).asDouble(), require(n, "tokens_per_second", source).asDouble());
    }

    private static JsonNode require(JsonNode n, String field, String source) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalStateException(source + ": output lacks field '" + field + "': " + n);
        }
        return v;
    }

    /** "OpenBLAS (pthread)" or the file names, from the BLAS libraries the Python process had mapped. */
    public String blasSummary() {
        if (blasLibraries.isEmpty()) {
            return "no separate BLAS library mapped";
        }
        boolean openblas = blasLibraries.stream().anyMatch(p -> p.toLowerCase(Locale.ROOT).contains("openblas"));
        boolean reference = blasLibraries.stream().anyMatch(p -> p.contains("/blas/"));
        if (openblas && !reference) {
            return "OpenBLAS (" + Path.of(blasLibraries.get(blasLibraries.size() - 1)).getFileName() + ")";
        }
        return String.join(", ", blasLibraries);
    }
}
