package dev.tunelab.model;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How much memory a model or a training set-up needs, estimated from the config before anything
 * is allocated, so that a model or batch that cannot fit fails at once with the numbers instead
 * of crashing the process (or a notebook's kernel) with an out-of-memory error halfway through.
 *
 * <p>Weights are parameters x bytes per value; training adds fp32 gradients and AdamW's two fp32
 * moments for the trainable parameters, and the activations autograd keeps for the backward pass
 * of one micro-batch: per layer the inputs of every matrix product, norm and activation function
 * (about 8 hidden-size and 4 intermediate-size values per token) plus the eager attention's
 * scores, probabilities and dropout mask (3 x heads x sequence^2 per row), and for the head the
 * logits, their log-softmax and its gradient (3 x vocabulary per token). The counting follows
 * Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models", sec. 4.1,
 * for fp32 and this model's layers. It is an estimate: the allocator's slack and temporaries come on top.
 *
 * <p>Set {@code TUNELAB_MEMORY_CHECK=off} to skip the check (when the estimate is wrong for a setting).
 */
public record MemoryEstimate(String what, long weights, long gradients, long optimizerState, long activations) {
    static final long GIB = 1L << 30;
    static final long MIB = 1L << 20;

    public long total() {
        return weights + gradients + optimizerState + activations;
    }

    /** The weights of the model {@code config} describes, {@code bytesPerValue} each (4 for fp32, 2 for fp16). */
    public static MemoryEstimate ofModel(LlamaConfig config, int bytesPerValue) {
        return new MemoryEstimate("model (" + String.format(Locale.ROOT, "%,d", config.parameterCount()) + " parameters)",
                config.parameterCount() * bytesPerValue, 0, 0, 0);
    }

    /**
     * The weights of the model {@code config} describes kept in {@code storage} for a model computing
     * in {@code computeType}: decoder linear weights at the storage's bits per value, embedding and
     * LM head at the matrix dtype, norms (and the biases, not counted) in the compute dtype.
     */
    public static MemoryEstimate ofModel(LlamaConfig config, WeightStorage storage, DataType computeType) {
        long computeBytes = computeType.getNumOfBytes();
        long matrixBytes = storage.matrices() == null ? computeBytes : storage.matrices().getNumOfBytes();
        long embeddings = (long) config.vocabSize() * config.hiddenSize() * (config.tieWordEmbeddings() ? 1 : 2);
        long norms = (2L * config.numHiddenLayers() + 1) * config.hiddenSize();
        long decoder = config.parameterCount() - embeddings - norms;
        long bytes = embeddings * matrixBytes + norms * computeBytes
                + (storage.matrices() == null ? decoder * computeBytes : (long) Math.ceil(decoder * storage.decoderBits() / 8));
        return new MemoryEstimate("model (" + String.format(Locale.ROOT, "%,d", config.parameterCount()) + " parameters, "
                + storage + ")", bytes, 0, 0, 0);
    }

    /**
     * One training step with {@code trainable} parameters updated by AdamW, on a base kept in
     * {@code storage}, micro-batches of {@code batchSize} rows of {@code length} tokens:
     * <ul>
     *   <li>weights as stored ({@link #ofModel(LlamaConfig, WeightStorage, DataType)});
     *   <li>fp32 gradients and AdamW's two fp32 moments of the trainable parameters;
     *   <li>activations: every array a decoder layer's forward pass makes lives until the step ends
     *       (autograd needs most of them), per token 10 h + 9 q + 6 kv + 5 f values (h hidden, q and
     *       kv the query and key/value widths, f the MLP's: norms, projections, rotary products, the
     *       repeated keys and values, SwiGLU's five) and 4 x heads x length for the attention scores,
     *       their scaling, mask and softmax; LoRA on every linear layer adds 3 (q + 2 kv + 2 h + 2 f)
     *       (each update's A x, B A x and sum); plus one layer's gradients during backward. With
     *       per-layer {@code checkpointing}, only each layer's input (h per token) is kept, and one
     *       layer is alive twice over (recomputed, then its gradients). The head adds logits, their
     *       log-softmax and both gradients: 4 x vocabulary per token;
     *   <li>widened weights of a base stored smaller than the compute dtype: the embedding matrix for
     *       the LM head, and the decoder's linear weights (all of them without checkpointing, as
     *       autograd keeps them for backward; one layer's with it).
     * </ul>
     * Counted after Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer
     * Models", sec. 4.1, for this implementation's layers. The allocator's slack, the JVM and
     * libtorch themselves (about 0.4 GiB of resident memory) come on top.
     */
    public static MemoryEstimate ofTraining(LlamaConfig config, WeightStorage storage, DataType computeType, long trainable,
            int batchSize, int length, boolean checkpointing) {
        long bytes = computeType.getNumOfBytes();
        long tokens = (long) batchSize * length;
        long h = config.hiddenSize();
        long q = (long) config.numAttentionHeads() * config.headDim();
        long kv = (long) config.numKeyValueHeads() * config.headDim();
        long f = config.intermediateSize();
        boolean adapters = trainable < config.parameterCount();
        long perToken = 10 * h + 9 * q + 6 * kv + 5 * f + 4L * config.numAttentionHeads() * length
                + (adapters ? 3 * (q + 2 * kv + 2 * h + 2 * f) : 0);
        long layer = tokens * perToken;
        long layers = config.numHiddenLayers();
        long activationValues = (checkpointing ? layers * tokens * h + 2 * layer : (layers + 1) * layer)
                + 4 * tokens * config.vocabSize();
        long widened = 0;
        if (!storage.full()) {
            long layerWeights = h * (2 * q + 2 * kv) + 3 * h * f;
            widened = bytes * ((long) config.vocabSize() * h + (checkpointing ? layerWeights : layerWeights * layers));
        }
        return new MemoryEstimate("training on " + storage + " weights, micro-batches of " + batchSize + " x " + length
                + " tokens" + (checkpointing ? ", checkpointing layers" : ""),
                ofModel(config, storage, computeType).weights(), 4 * trainable, 8 * trainable,
                bytes * activationValues + widened);
    }

    /**
     * Throws {@link InsufficientMemoryException} when this estimate exceeds the memory available on
     * {@code device} now (free GPU memory; on the CPU, Linux's MemAvailable or the free physical memory).
     */
    public void requireFits(Device device) {
        requireFits(device, 0);
    }

    /** As {@link #requireFits(Device)} when {@code allocated} bytes of the estimate (loaded weights) are in memory already. */
    public void requireFits(Device device, long allocated) {
        if ("off".equalsIgnoreCase(System.getenv("TUNELAB_MEMORY_CHECK"))) {
            return;
        }
        long available = available(device);
        if (available > 0 && total() - allocated > available) {
            throw new InsufficientMemoryException(this, available, device);
        }
    }

    /** Bytes that can still be allocated on {@code device}; -1 when unknown. */
    public static long available(Device device) {
        if (device.isGpu()) {
            var usage = CudaUtils.getGpuMemory(device);
            return usage.getMax() - usage.getCommitted();
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024; // proc(5): kB
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: ask the JVM below
        }
        var os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getFreeMemorySize() : -1;
    }

    static String size(long bytes) {
        return bytes >= GIB ? String.format(Locale.ROOT, "%.1f GiB", bytes / (double) GIB)
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(what).append(": about ").append(size(total())).append(" (weights ").append(size(weights));
        if (gradients + optimizerState + activations > 0) {
            s.append(", gradients ").append(size(gradients)).append(", AdamW state ").append(size(optimizerState))
                    .append(", activations ").append(size(activations));
        }
        return s.append(')').toString();
    }
}
