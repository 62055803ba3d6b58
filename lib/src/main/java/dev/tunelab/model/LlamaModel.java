package dev.tunelab.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.tunelab.io.Dtype;
import dev.tunelab.io.SafeTensors;
import dev.tunelab.io.SafeTensorsCheckpoint;
import dev.tunelab.io.SafeTensorsInfo;
import dev.tunelab.io.SaveOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Llama-family causal language model (Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama shapes):
 * token embedding, N pre-norm decoder layers (RMSNorm, RoPE attention with GQA, SwiGLU MLP),
 * final norm, and an LM head that may share the embedding matrix.
 *
 * <p>Parameters are named exactly as in Hugging Face checkpoints, so loading and saving is a map
 * from names to tensors. The model owns an {@link NDManager} for its weights; close the model to
 * free them.
 */
public final class LlamaModel extends Module implements AutoCloseable {
    private final LlamaConfig config;
    private final NDManager manager;
    private final DataType dtype;
    private final WeightStorage storage;
    private final Rotary rotary;
    private PromptAdapter promptAdapter;
    private boolean gradientCheckpointing;
    private double neftuneAlpha; // 0: no noise on the input embeddings
    private final LayerCheckpoints checkpoints = new LayerCheckpoints();

    /** Where the constructor takes each weight from, in checkpoint order (a file reads it, create draws it). */
    @FunctionalInterface
    private interface TensorSource {
        NDArray get(String name, DataType type) throws IOException;
    }

    private LlamaModel(LlamaConfig config, NDManager manager, DataType dtype, WeightStorage storage, TensorSource weights)
            throws IOException {
        this.config = config;
        this.manager = manager;
        this.dtype = dtype;
        this.storage = storage;
        this.rotary = new Rotary(manager, config, dtype);
        DataType matrices = storage.matrixType(dtype);

        Module body = addChild("model", new Body());
        body.addChild("embed_tokens", new Embedding(weights.get("model.embed_tokens.weight", matrices), dtype));
        ModuleList<DecoderLayer> layers = body.addChild("layers", new ModuleList<>());
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            RMSNorm inputNorm = new RMSNorm(weights.get(p + "input_layernorm.weight", dtype), config.rmsNormEps());
            Attention attention = new Attention(
                    decoderLinear(weights, p + "self_attn.q_proj", config.attentionBias()),
                    decoderLinear(weights, p + "self_attn.k_proj", config.attentionBias()),
                    decoderLinear(weights, p + "self_attn.v_proj", config.attentionBias()),
                    decoderLinear(weights, p + "self_attn.o_proj", config.attentionOutputBias()),
                    config, i);
            RMSNorm postNorm = new RMSNorm(weights.get(p + "post_attention_layernorm.weight", dtype), config.rmsNormEps());
            Mlp mlp = new Mlp(
                    decoderLinear(weights, p + "mlp.gate_proj", config.mlpBias()),
                    decoderLinear(weights, p + "mlp.up_proj", config.mlpBias()),
                    decoderLinear(weights, p + "mlp.down_proj", config.mlpBias()));
            layers.add(new DecoderLayer(inputNorm, attention, postNorm, mlp));
        }
        body.addChild("norm", new RMSNorm(weights.get("model.norm.weight", dtype), config.rmsNormEps()));
        if (!config.tieWordEmbeddings()) {
            addChild("lm_head", new Dense(weights.get("lm_head.weight", matrices), null));
        }
        if (!storage.full()) {
            freeze(); // a base kept smaller than the compute dtype is for adapters to train on
        }
    }

    /** A decoder linear layer in its storage form: the weight in the matrix dtype (then quantized if asked), the bias fp32. */
    private Linear decoderLinear(TensorSource weights, String name, boolean bias) throws IOException {
        NDArray w = weights.get(name + ".weight", storage.decoderReadType(dtype));
        Dense dense = new Dense(w, bias ? weights.get(name + ".bias", dtype) : null);
        return storage.decoderLinear().store(dense, manager, dtype);
    }

    /** The container named "model" in Hugging Face checkpoints. */
    private static final class Body extends Module {}

    // ---- construction -------------------------------------------------------------------

    /** A freshly initialised model: N(0, initializer_range) for matrices, ones for norms (as transformers does). */
    public static LlamaModel create(LlamaConfig config, long seed) {
        return create(config, seed, ai.djl.engine.Engine.getInstance().defaultDevice(), DataType.FLOAT32);
    }

    public static LlamaModel create(LlamaConfig config, long seed, Device device, DataType dtype) {
        return create(config, seed, device, dtype, WeightStorage.FP32);
    }

    /** As {@link #create(LlamaConfig, long)} with the weights kept in {@code storage} (fp16, NF4, ...) as they are drawn. */
    public static LlamaModel create(LlamaConfig config, long seed, WeightStorage storage) {
        return create(config, seed, ai.djl.engine.Engine.getInstance().defaultDevice(), DataType.FLOAT32, storage);
    }

    public static LlamaModel create(LlamaConfig config, long seed, Device device, DataType dtype, WeightStorage storage) {
        MemoryEstimate.ofModel(config, storage, dtype).requireFits(device);
        dev.tunelab.io.NativeHeap.forModel(config.parameterCount()); // small models keep freed memory, large ones return it
        NDManager manager = NDManager.newBaseManager(device);
        Random random = new Random(seed);
        Map<String, Shape> shapes = expectedShapes(config);
        try {
            return new LlamaModel(config, manager, dtype, storage, (name, type) -> {
                Shape shape = shapes.get(name);
                float[] v = new float[Math.toIntExact(shape.size())];
                if (name.endsWith("norm.weight")) {
                    java.util.Arrays.fill(v, 1f);
                } else if (!name.endsWith(".bias")) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (random.nextGaussian() * config.initializerRange());
                    }
                }
                NDArray drawn = manager.create(v, shape);
                if (drawn.getDataType() == type) {
                    return drawn; // (never close an array another aliases: its Java buffer holds the values)
                }
                try (drawn) {
                    return drawn.toType(type, false);
                }
            });
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e instanceof IOException io ? new java.io.UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** Loads {@code config.json} and the safetensors weights (single file or sharded) of a directory. */
    public static LlamaModel load(Path dir) throws IOException {
        return load(dir, WeightStorage.FP32);
    }

    /** As {@link #load(Path)}, each tensor converted to its {@code storage} form as it is read (fp16, NF4, ...). */
    public static LlamaModel load(Path dir, WeightStorage storage) throws IOException {
        return load(dir, ai.djl.engine.Engine.getInstance().defaultDevice(), DataType.FLOAT32, storage);
    }

    public static LlamaModel load(Path dir, Device device, DataType dtype) throws IOException {
        return load(dir, device, dtype, WeightStorage.FP32);
    }

    /**
     * Loads a model folder tensor by tensor: names and shapes are checked against config.json from
     * the headers first, then each tensor is read, converted to its storage form and the file's
     * copy dropped before the next, so the peak is the stored model plus one tensor.
     */
    public static LlamaModel load(Path dir, Device device, DataType dtype, WeightStorage storage) throws IOException {
        LlamaConfig config = LlamaConfig.load(dir.resolve("config.json"));
        MemoryEstimate.ofModel(config, storage, dtype).requireFits(device);
        try (SafeTensorsCheckpoint checkpoint = SafeTensorsCheckpoint.open(dir)) {
            Map<String, SafeTensorsInfo> found = new LinkedHashMap<>(checkpoint.infos());
            Set<String> problems = new TreeSet<>();
            expectedShapes(config).forEach((name, shape) -> {
                SafeTensorsInfo info = found.remove(name);
                if (info == null) {
                    problems.add("missing tensor '" + name + "' " + shape);
                } else if (!info.djlShape().equals(shape)) {
                    problems.add("tensor '" + name + "' has shape " + info.djlShape() + ", config.json implies " + shape);
                } else if (!info.dtype().isFloat()) {
                    problems.add("tensor '" + name + "' has dtype " + info.dtype() + ", expected a float type");
                }
            });
            // Checkpoints of tied models sometimes still carry lm_head; buffers like inv_freq are recomputed.
            found.keySet().removeIf(k -> k.endsWith("rotary_emb.inv_freq")
                    || (config.tieWordEmbeddings() && k.equals("lm_head.weight")));
            found.keySet().forEach(k -> problems.add("unexpected tensor '" + k + "'"));
            if (!problems.isEmpty()) {
                throw new IOException(dir + ": weights do not match config.json: " + String.join("; ", problems));
            }
            dev.tunelab.io.NativeHeap.forModel(config.parameterCount()); // small models keep freed memory, large ones return it
            NDManager manager = NDManager.newBaseManager(device);
            try {
                return new LlamaModel(config, manager, dtype, storage, (name, type) -> checkpoint.load(manager, name, type));
            } catch (IOException | RuntimeException e) {
                manager.close();
                throw e;
            }
        }
    }

    /**
     * Writes {@code config.json} and the weights in Hugging Face's layout, in the model's own type:
     * {@code model.safetensors}, or 5 GB shards with {@code model.safetensors.index.json} (as
     * {@link #save(Path, SaveOptions)} with {@link SaveOptions#defaults()}).
     */
    public void save(Path dir) throws IOException {
        save(dir, SaveOptions.defaults());
    }

    /**
     * Writes {@code config.json} (its {@code torch_dtype} naming the stored type) and the weights as
     * transformers' {@code save_pretrained} does: {@code model.safetensors} when they fit in one
     * shard of {@link SaveOptions#maxShardBytes()}, else {@code model-0000i-of-0000n.safetensors}
     * and {@code model.safetensors.index.json}. Tensors are converted and written one piece at a
     * time, so saving needs little memory besides the model. To save a LoRA model as a plain
     * checkpoint, merge it first: {@code peft.mergeAndUnload().save(dir, SaveOptions.bf16())}.
     *
     * <pre>{@code
     * model.save(Path.of("out"), SaveOptions.bf16().maxShardSize("2GB"));
     * }</pre>
     */
    public void save(Path dir, SaveOptions options) throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        namedParameters().forEach((name, p) -> tensors.put(name, p.data()));
        if (!tensors.keySet().equals(expectedShapes(config).keySet())) { // adapters or quantized layers attached
            Set<String> odd = new TreeSet<>(tensors.keySet());
            odd.removeAll(expectedShapes(config).keySet());
            throw new IllegalStateException("cannot save as a Hugging Face checkpoint: the model has adapter or quantized layers "
                    + "(e.g. " + odd.stream().limit(3).toList() + "); save the adapter (PeftModel.save) or merge it first "
                    + "(PeftModel.mergeAndUnload)");
        }
        Dtype stored = options.dtype() != null ? options.dtype() : Dtype.of(dtype);
        Files.createDirectories(dir);
        SafeTensors.writer().metadata(Map.of("format", "pt")).floatsAs(stored)
                .maxShardBytes(options.maxShardBytes()).writeCheckpoint(dir, tensors);
        config.save(dir.resolve("config.json"), SaveOptions.torchDtype(stored));
    }

    /** Every weight's Hugging Face name and shape, in checkpoint order. */
    public static Map<String, Shape> expectedShapes(LlamaConfig c) {
        Map<String, Shape> s = new LinkedHashMap<>();
        long h = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        long f = c.intermediateSize();
        s.put("model.embed_tokens.weight", new Shape(c.vocabSize(), h));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            s.put(p + "input_layernorm.weight", new Shape(h));
            linearShapes(s, p + "self_attn.q_proj", q, h, c.attentionBias());
            linearShapes(s, p + "self_attn.k_proj", kv, h, c.attentionBias());
            linearShapes(s, p + "self_attn.v_proj", kv, h, c.attentionBias());
            linearShapes(s, p + "self_attn.o_proj", h, q, c.attentionOutputBias());
            s.put(p + "post_attention_layernorm.weight", new Shape(h));
            linearShapes(s, p + "mlp.gate_proj", f, h, c.mlpBias());
            linearShapes(s, p + "mlp.up_proj", f, h, c.mlpBias());
            linearShapes(s, p + "mlp.down_proj", h, f, c.mlpBias());
        }
        s.put("model.norm.weight", new Shape(h));
        if (!c.tieWordEmbeddings()) {
            s.put("lm_head.weight", new Shape(c.vocabSize(), h));
        }
        return s;
    }

    private static void linearShapes(Map<String, Shape> s, String name, long out, long in, boolean bias) {
        s.put(name + ".weight", new Shape(out, in));
        if (bias) {
            s.put(name + ".bias", new Shape(out));
        }
    }

    // ---- forward ------------------------------------------------------------------------

    /** Logits (B, T, vocab) for token ids (B, T) without padding, positions 0..T-1. */
    public NDArray forward(NDArray inputIds) {
        return forward(inputIds, null, null, null);
    }

    /**
     * Logits (B, T, vocab).
     *
     * @param inputIds (B, T) int64
     * @param attentionMask (B, S) 1 for real tokens, 0 for padding, over cached + new positions; null = all real
     * @param positionIds (B, T) int64; null = cached length .. cached length + T - 1
     * @param cache keys/values of earlier positions, extended in place; null = no cache
     */
    public NDArray forward(NDArray inputIds, NDArray attentionMask, NDArray positionIds, KVCache cache) {
        return logits(hidden(inputIds, attentionMask, positionIds, cache));
    }

    /**
     * Logits (B, T, vocab) of packed rows: each row holds several documents one after another
     * (padding-free batches), positions restart at 0 with each document and attention never crosses
     * from one document into another, so every document's logits are those it would get alone.
     *
     * @param documentIds (B, T) which document each token belongs to (0, 1, ... in each row; -1 padding)
     */
    public NDArray forwardPacked(NDArray inputIds, long[][] documentIds) {
        if (promptAdapter != null) {
            throw new IllegalStateException("packed rows with " + promptAdapter.getClass().getSimpleName()
                    + " are not supported: its virtual tokens would belong to one document only; use padded batches");
        }
        NDManager m = inputIds.getManager();
        long[][] positions = AttentionMask.packedPositions(documentIds);
        NDArray x = embed(inputIds);
        int window = config.slidingWindow();
        boolean anyFull = window == 0 || config.maxWindowLayers() > 0;
        NDArray fullMask = anyFull ? AttentionMask.packed(m, documentIds, 0, x.getDataType()) : null;
        NDArray windowMask = window > 0 ? AttentionMask.packed(m, documentIds, window, x.getDataType()) : null;
        return logits(decoder(x, m.create(positions), fullMask, windowMask, null, null));
    }

    /** Final hidden states (B, T, hidden) after the last norm: what the LM head, reward and value heads read. */
    public NDArray hidden(NDArray inputIds, NDArray attentionMask, NDArray positionIds, KVCache cache) {
        NDArray x = embed(inputIds);
        if (promptAdapter == null) {
            return hiddenFromEmbeddings(x, attentionMask, positionIds, cache);
        }
        return hiddenWithPrompt(x, attentionMask, positionIds, cache);
    }

    /**
     * As PEFT runs prompt learning: the P virtual positions come first (0..P-1) and real tokens
     * follow at P..; virtual tokens are never masked. Prompt tuning's virtual tokens enter on the
     * first call and then live in the KV cache; prefix tuning's keys and values join every call.
     * Returns hidden states of the real tokens only.
     */
    private NDArray hiddenWithPrompt(NDArray x, NDArray attentionMask, NDArray positionIds, KVCache cache) {
        NDManager m = x.getManager();
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int p = promptAdapter.length();
        int past = cache == null ? 0 : cache.length();
        boolean embeddings = promptAdapter.prependsEmbeddings();
        boolean prependNow = embeddings && past == 0;
        if (positionIds != null) {
            positionIds = positionIds.add(p);
        } else if (!embeddings) {
            positionIds = m.arange(past + p, past + p + (int) t).toType(DataType.INT64, false).expandDims(0);
        }
        if (prependNow && positionIds != null) {
            long rows = positionIds.getShape().get(0);
            NDArray virtual = m.arange(0, p).toType(DataType.INT64, false).expandDims(0).broadcast(rows, p);
            positionIds = virtual.concat(positionIds, 1);
        }
        if (!embeddings) {
            return hiddenFromEmbeddings(x, attentionMask, positionIds, cache, promptAdapter.keyValuePrefixes(m, b));
        }
        if (attentionMask != null) {
            attentionMask = m.ones(new Shape(b, p), attentionMask.getDataType()).concat(attentionMask, 1);
        }
        if (!prependNow) {
            return hiddenFromEmbeddings(x, attentionMask, positionIds, cache);
        }
        x = promptAdapter.inputEmbeddings(m, b).concat(x, 1);
        return hiddenFromEmbeddings(x, attentionMask, positionIds, cache).get(":, {}:, :", p);
    }

    /**
     * Token embeddings (B, T, hidden); prompt tuning prepends learned vectors to these. With NEFTune
     * on and the model in training mode, uniform noise of magnitude alpha / sqrt(T hidden) is added
     * (transformers' trainer_utils.neftune_post_forward_hook: L is the batch's padded length T),
     * drawn from PyTorch's generator, which the training loop seeds every step.
     */
    public NDArray embed(NDArray inputIds) {
        NDArray x = embedTokens().forward(inputIds);
        if (neftuneAlpha == 0 || !isTraining()) {
            return x;
        }
        float bound = (float) (neftuneAlpha / Math.sqrt((double) x.getShape().get(1) * x.getShape().get(2)));
        NDArray noise = x.getManager().randomUniform(-bound, bound, x.getShape(), x.getDataType());
        return x.add(noise);
    }

    /**
     * NEFTune's alpha (Jain et al. 2023), 0 for none; the training loop sets it from {@code
     * TrainConfig.neftuneAlpha} for the length of a run and clears it afterwards.
     */
    public void setNeftuneAlpha(double alpha) {
        if (!(alpha >= 0)) {
            throw new IllegalArgumentException("NEFTune alpha must be at least 0, got " + alpha);
        }
        neftuneAlpha = alpha;
    }

    public double neftuneAlpha() {
        return neftuneAlpha;
    }

    /** The decoder stack on given input embeddings (B, T, hidden). */
    public NDArray hiddenFromEmbeddings(NDArray x, NDArray attentionMask, NDArray positionIds, KVCache cache) {
        return hiddenFromEmbeddings(x, attentionMask, positionIds, cache, null);
    }

    /** As above, with prefix tuning's keys and values ({keys, values} per layer) in front of every layer's own. */
    private NDArray hiddenFromEmbeddings(NDArray x, NDArray attentionMask, NDArray positionIds, KVCache cache,
            NDArray[][] prefixes) {
        NDManager m = x.getManager();
        long b = x.getShape().get(0);
        int t = (int) x.getShape().get(1);
        int past = cache == null ? 0 : cache.length();
        if (positionIds == null) {
            positionIds = m.arange(past, past + t).toType(DataType.INT64, false).expandDims(0);
        }
        int prefix = prefixes == null ? 0 : (int) prefixes[0][0].getShape().get(2);
        // Mistral slides in every layer, Qwen2 (when on) from max_window_layers on: build the masks in use.
        int window = config.slidingWindow();
        boolean anyFull = window == 0 || config.maxWindowLayers() > 0;
        NDArray fullMask = anyFull ? AttentionMask.build(m, attentionMask, t, past, prefix, 0, x.getDataType()) : null;
        NDArray windowMask = window > 0 ? AttentionMask.build(m, attentionMask, t, past, prefix, window, x.getDataType()) : null;
        return decoder(x, positionIds, fullMask, windowMask, cache, prefixes);
    }

    /** The decoder layers and the final norm, with the masks of full-attention and sliding-window layers. */
    private NDArray decoder(NDArray x, NDArray positionIds, NDArray fullMask, NDArray windowMask, KVCache cache,
            NDArray[][] prefixes) {
        NDArray[] cosSin = rotary.at(positionIds);
        ModuleList<DecoderLayer> layers = body().child("layers");
        NDArray[] masks = new NDArray[layers.size()];
        for (int i = 0; i < masks.length; i++) {
            masks[i] = config.attentionWindow(i) > 0 ? windowMask : fullMask;
        }
        if (gradientCheckpointing && cache == null && JniUtils.isGradMode()) {
            boolean xHasGraph = embedTokens().weight().trainable() || (promptAdapter != null && promptAdapter.prependsEmbeddings()
                    && promptAdapter.namedParameters().values().stream().anyMatch(Parameter::trainable));
            x = checkpoints.forward(layers, x, xHasGraph, cosSin[0], cosSin[1], masks, prefixes, isTraining());
        } else {
            for (int i = 0; i < layers.size(); i++) {
                x = layers.get(i).forward(x, cosSin[0], cosSin[1], masks[i], cache, prefixes == null ? null : prefixes[i]);
            }
        }
        return body().<RMSNorm>child("norm").forward(x);
    }

    /** hidden (B, T, hidden) -> logits (B, T, vocab). */
    public NDArray logits(NDArray hidden) {
        if (config.tieWordEmbeddings()) {
            return ai.djl.nn.core.Linear.linear(hidden, Autograd.like(embedTokens().weight().data(), hidden), null).head();
        }
        return this.<Linear>child("lm_head").forward(hidden);
    }

    // ---- gradient checkpointing ---------------------------------------------------------

    /**
     * Turns per-layer gradient checkpointing on or off ({@link LayerCheckpoints}): forward passes
     * that record a graph then keep only each layer's input, and the trainer calls {@link
     * #backwardThroughCheckpoints()} after back-propagating its loss. The training loop sets this
     * from {@code TrainConfig.gradientCheckpointing}.
     */
    public void setGradientCheckpointing(boolean on) {
        gradientCheckpointing = on;
        checkpoints.clear();
    }

    public boolean gradientCheckpointing() {
        return gradientCheckpointing;
    }

    /**
     * Completes a backward pass through the layers that checkpointed forward passes skipped; call
     * right after {@code backward(loss)} (a no-op when nothing was checkpointed).
     */
    public void backwardThroughCheckpoints() {
        checkpoints.backward();
    }

    /** Forgets checkpointed passes whose loss will not be back-propagated. */
    public void clearCheckpoints() {
        checkpoints.clear();
    }

    // ---- prompt adapters ----------------------------------------------------------------

    /** Attaches prompt or prefix tuning (registered as child {@code prompt_encoder}); null detaches. */
    public void setPromptAdapter(PromptAdapter adapter) {
        removeChild("prompt_encoder");
        promptAdapter = adapter;
        if (adapter != null) {
            addChild("prompt_encoder", adapter);
        }
    }

    public PromptAdapter promptAdapter() {
        return promptAdapter;
    }

    /** Positions the KV cache needs besides the real tokens (prompt tuning's virtual tokens). */
    public int virtualTokens() {
        return promptAdapter != null && promptAdapter.prependsEmbeddings() ? promptAdapter.length() : 0;
    }

    // ---- parameters ---------------------------------------------------------------------

    private Module body() {
        return child("model");
    }

    public Embedding embedTokens() {
        return body().child("embed_tokens");
    }

    public ModuleList<DecoderLayer> layers() {
        return body().child("layers");
    }

    public LlamaConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    /** The dtype the model computes in (fp32 on the CPU); stored weights may be smaller ({@link #storage()}). */
    public DataType dtype() {
        return dtype;
    }

    /** How the weights are kept: fp32 (trainable), or fp16 / quantized (a frozen base for adapters). */
    public WeightStorage storage() {
        return storage;
    }

    public Device device() {
        return manager.getDevice();
    }

    /** Parameters that receive gradients. */
    public Map<String, Parameter> trainableParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        namedParameters().forEach((n, p) -> {
            if (p.trainable()) {
                out.put(n, p);
            }
        });
        return out;
    }

    /** Freezes every parameter (for adapters: they then unfreeze only their own). */
    public void freeze() {
        namedParameters().values().forEach(p -> p.setTrainable(false));
    }

    public long parameterCount() {
        return namedParameters().values().stream().mapToLong(Parameter::size).sum();
    }

    public long trainableParameterCount() {
        return trainableParameters().values().stream().mapToLong(Parameter::size).sum();
    }

    /** Copies every parameter value from another model with the same names and shapes. */
    public void copyWeightsFrom(LlamaModel other) {
        Map<String, Parameter> theirs = other.namedParameters();
        Set<String> missing = new HashSet<>();
        namedParameters().forEach((n, p) -> {
            Parameter q = theirs.get(n);
            if (q == null) {
                missing.add(n);
            } else {
                NDArray copy = q.data().toDevice(device(), true);
                copy.attach(manager);
                p.set(copy);
            }
        });
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("other model lacks " + missing);
        }
    }

    @Override
    public String toString() {
        return String.format("LlamaModel(layers=%d, hidden=%d, heads=%d/%d kv, vocab=%d, params=%,d, trainable=%,d)",
                config.numHiddenLayers(), config.hiddenSize(), config.numAttentionHeads(),
                config.numKeyValueHeads(), config.vocabSize(), parameterCount(), trainableParameterCount());
    }

    @Override
    public void close() {
        rotary.close();
        manager.close();
    }
}
