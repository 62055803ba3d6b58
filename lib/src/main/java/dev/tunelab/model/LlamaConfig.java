package dev.tunelab.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The fields of a Hugging Face {@code config.json} that a Llama-family decoder needs
 * (Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama all share this shape).
 *
 * <p>Each field that transformers' class for the model type reads (LlamaConfig, MistralConfig,
 * Qwen2Config and their modeling files) is either honoured or, when it holds a value this decoder
 * cannot compute, refused by name. Fields those classes do not read (architectures, torch_dtype,
 * use_cache, transformers_version, Qwen2's use_mrope, a Llama config's sliding_window, ...) change
 * nothing in transformers either and are ignored here too.
 *
 * @param ropeScaling null for plain RoPE, or the llama3 frequency scaling
 * @param slidingWindow 0 for full causal attention; w > 0: in sliding layers the query at index i
 *     sees keys i - w < j <= i (Mistral's sliding_window; Qwen2's when use_sliding_window is true)
 * @param maxWindowLayers the first this many layers attend fully even when slidingWindow > 0
 *     (Qwen2's max_window_layers; 0 for Mistral, whose every layer slides)
 * @param eosTokenIds every token that ends a sequence: config.json's eos_token_id (an integer or,
 *     as Llama 3 has, a list) followed by any further ids of generation_config.json beside it
 */
public record LlamaConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        boolean attentionOutputBias,
        boolean mlpBias,
        int slidingWindow,
        int maxWindowLayers,
        int bosTokenId,
        List<Integer> eosTokenIds,
        int padTokenId,
        double initializerRange,
        double attentionDropout) {

    /** llama3 rope scaling, as transformers' {@code _compute_llama3_parameters}. */
    public record RopeScaling(
            String type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {}

    private static final Set<String> MODEL_TYPES = Set.of("llama", "mistral", "qwen2");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Written next to config.json by save_pretrained; generation reads its eos_token_id. */
    private static final String GENERATION_CONFIG = "generation_config.json";

    public LlamaConfig {
        require(MODEL_TYPES.contains(modelType), "model_type", "one of " + MODEL_TYPES);
        require(hiddenSize > 0, "hidden_size", "a positive integer");
        require(numAttentionHeads > 0, "num_attention_heads", "a positive integer");
        require(numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads == 0,
                "num_key_value_heads", "a positive divisor of num_attention_heads (" + numAttentionHeads + ")");
        require(headDim > 0 && headDim % 2 == 0, "head_dim", "a positive even integer");
        require(vocabSize > 0, "vocab_size", "a positive integer");
        require(numHiddenLayers > 0, "num_hidden_layers", "a positive integer");
        require(intermediateSize > 0, "intermediate_size", "a positive integer");
        require(attentionDropout >= 0 && attentionDropout < 1, "attention_dropout", "a number in [0, 1)");
        require(rmsNormEps > 0, "rms_norm_eps", "a positive number");
        require(ropeTheta > 0, "rope_theta", "a positive number");
        require(maxPositionEmbeddings > 0, "max_position_embeddings", "a positive integer");
        require(slidingWindow >= 0, "sliding_window", "a positive integer or null");
        require(slidingWindow == 0 || !modelType.equals("llama"), "sliding_window",
                "null for model_type 'llama' (transformers' Llama has no sliding-window attention; use 'mistral')");
        require(maxWindowLayers >= 0, "max_window_layers", "a non-negative integer");
        // transformers' MistralAttention/MistralMLP and Qwen2MLP are built with bias=False, Qwen2Attention
        // with q/k/v biases only (modeling_mistral.py, modeling_qwen2.py): other combinations have no HF class.
        if (modelType.equals("mistral")) {
            require(!attentionBias && !attentionOutputBias && !mlpBias, "attention_bias", "no biases for model_type 'mistral'");
        }
        if (modelType.equals("qwen2")) {
            require(attentionBias && !attentionOutputBias && !mlpBias, "attention_bias",
                    "q/k/v biases, no o_proj or MLP bias for model_type 'qwen2'");
        }
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    private static void require(boolean ok, String field, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("config field '" + field + "': expected " + expected);
        }
    }

    public int kvGroups() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** The first end-of-sequence id (-1 if none), for callers that need one; generation stops at all of {@link #eosTokenIds()}. */
    public int eosTokenId() {
        return eosTokenIds.isEmpty() ? -1 : eosTokenIds.get(0);
    }

    /**
     * The id that fills padded positions: pad_token_id, or the first end token where config.json
     * names none (Llama 3 and Qwen2.5 ship without one); padding is masked, so any real id does.
     */
    public int paddingId() {
        return padTokenId >= 0 ? padTokenId : Math.max(eosTokenId(), 0);
    }

    /**
     * The sliding window of a layer: 0 when it attends to every earlier key, else w (keys j with
     * i - w < j <= i). Qwen2 slides from layer max_window_layers on (configuration_qwen2.py's
     * layer_types); Mistral in every layer.
     */
    public int attentionWindow(int layer) {
        return layer >= maxWindowLayers ? slidingWindow : 0;
    }

    /**
     * Reads {@code config.json}, and the {@code eos_token_id} of a {@code generation_config.json}
     * in the same folder when there is one; any missing or mistyped field is reported with the
     * file and field.
     */
    public static LlamaConfig load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": missing (a model folder needs the Hugging Face config.json)");
        }
        LlamaConfig config;
        try {
            config = fromJson(readJson(file));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        Path generation = file.resolveSibling(GENERATION_CONFIG);
        if (!Files.isRegularFile(generation)) {
            return config;
        }
        try {
            return config.withEndTokens(eosIds(readJson(generation), "eos_token_id", List.of()));
        } catch (IllegalArgumentException e) {
            throw new IOException(generation + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode readJson(Path file) throws IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * This config with more end-of-sequence ids after its own (duplicates dropped). transformers'
     * generate stops at generation_config.json's eos_token_id; Llama 3 Instruct lists its turn end
     * (128009) there as well as in config.json, and either file may be the one that has it.
     */
    public LlamaConfig withEndTokens(List<Integer> more) {
        Set<Integer> all = new LinkedHashSet<>(eosTokenIds);
        all.addAll(more);
        return toBuilder().eosTokenIds(all.stream().mapToInt(Integer::intValue).toArray()).build();
    }

    /** What transformers' config classes use when config.json leaves a field out (not when it is null). */
    private record Defaults(Integer kvHeads, int maxPositions, int bos, int eos, int slidingWindow, int maxWindowLayers) {
        static Defaults of(String type) {
            return switch (type) {
                // configuration_mistral.py: num_key_value_heads=8, max_position_embeddings=4096*32, sliding_window=4096
                case "mistral" -> new Defaults(8, 4096 * 32, 1, 2, 4096, 0);
                // configuration_qwen2.py: num_key_value_heads=32, max_position_embeddings=32768, no bos/eos,
                // sliding_window=4096 (used only with use_sliding_window), max_window_layers=28
                case "qwen2" -> new Defaults(32, 32768, -1, -1, 4096, 28);
                // configuration_llama.py: num_key_value_heads = num_attention_heads, max_position_embeddings=2048
                default -> new Defaults(null, 2048, 1, 2, 0, 0);
            };
        }
    }

    static LlamaConfig fromJson(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        String type = root.path("model_type").asText("");
        List<String> archs = root.has("architectures") ? List.of(root.get("architectures").toString()) : List.of();
        if (!MODEL_TYPES.contains(type)) {
            throw new IllegalArgumentException("config field 'model_type': expected one of " + MODEL_TYPES
                    + " (a Llama-family decoder), got '" + type + "'" + (archs.isEmpty() ? "" : " with architectures " + archs.get(0)));
        }
        refuseUnsupported(root, type);
        Defaults defaults = Defaults.of(type);
        int hidden = intField(root, "hidden_size", null);
        int heads = intField(root, "num_attention_heads", null);
        int vocab = intField(root, "vocab_size", null);
        int intermediate = intField(root, "intermediate_size", null);
        int layers = intField(root, "num_hidden_layers", null);
        // absent: the config class's default; null: as many as query heads (all three classes)
        int kvHeads = root.has("num_key_value_heads") || defaults.kvHeads() == null
                ? intField(root, "num_key_value_heads", heads) : defaults.kvHeads();
        int headDim = root.hasNonNull("head_dim") ? intField(root, "head_dim", null) : hidden / Math.max(heads, 1);
        boolean llama = type.equals("llama");
        boolean qwen = type.equals("qwen2");
        // Llama's attention_bias covers q/k/v/o and mlp_bias its MLP; Qwen2 always has q/k/v biases and no
        // o_proj bias; Mistral has none (the HF classes of the other types do not read these two fields).
        boolean attnBias = qwen || (llama && boolField(root, "attention_bias", false));
        boolean attnOutBias = llama && boolField(root, "attention_bias", false);
        boolean mlpBias = llama && boolField(root, "mlp_bias", false);
        Rope rope = rope(root);
        int[] window = slidingWindow(root, type, defaults, layers);
        return new LlamaConfig(
                type,
                vocab,
                hidden,
                intermediate,
                layers,
                heads,
                kvHeads,
                headDim,
                numberField(root, "rms_norm_eps", 1e-6),
                rope.theta(),
                rope.scaling(),
                intField(root, "max_position_embeddings", defaults.maxPositions()),
                boolField(root, "tie_word_embeddings", false),
                attnBias,
                attnOutBias,
                mlpBias,
                window[0],
                window[1],
                root.has("bos_token_id") ? intField(root, "bos_token_id", -1) : defaults.bos(),
                eosIds(root, "eos_token_id", defaults.eos() < 0 ? List.of() : List.of(defaults.eos())),
                intField(root, "pad_token_id", -1),
                numberField(root, "initializer_range", 0.02),
                numberField(root, "attention_dropout", 0.0));
    }

    /** Fields whose values would make transformers compute something this decoder does not. */
    private static void refuseUnsupported(JsonNode root, String type) {
        // activations.py maps both "silu" and "swish" to SiLU; SwiGLU's gate uses it.
        String act = root.hasNonNull("hidden_act") ? textField(root, "hidden_act") : "silu";
        if (!act.equals("silu") && !act.equals("swish")) {
            throw new IllegalArgumentException("config field 'hidden_act': expected 'silu' (the only activation implemented), got '"
                    + act + "'");
        }
        // Llama's pretraining_tp > 1 splits each projection into slices whose products are concatenated
        // or summed (modeling_llama.py before 4.48): the same function, so any positive value is honoured.
        if (type.equals("llama") && root.hasNonNull("pretraining_tp")) {
            int tp = intField(root, "pretraining_tp", 1);
            require(tp >= 1, "pretraining_tp", "a positive integer, got " + tp);
        }
        if (root.hasNonNull("quantization_config")) {
            throw new IllegalArgumentException("config field 'quantization_config': expected none (pre-quantized GPTQ/AWQ/"
                    + "bitsandbytes checkpoints are not supported; load the full-precision model and quantize it here), got "
                    + root.get("quantization_config").path("quant_method"));
        }
        if (!type.equals("qwen2") && root.hasNonNull("layer_types")) {
            throw new IllegalArgumentException("config field 'layer_types': expected none for model_type '" + type
                    + "' (transformers' " + type + " classes do not read per-layer attention types), got " + root.get("layer_types"));
        }
        if (root.hasNonNull("partial_rotary_factor")) {
            double f = numberField(root, "partial_rotary_factor", 1.0);
            require(f == 1.0, "partial_rotary_factor", "1.0 (RoPE over the whole head), got " + f);
        }
    }

    /**
     * {sliding window, max_window_layers}. Mistral: sliding_window (absent: 4096; null: none) in every
     * layer. Qwen2: only with use_sliding_window, in layers from max_window_layers on, or where
     * layer_types says "sliding_attention" (configuration_qwen2.py). Llama: none.
     */
    private static int[] slidingWindow(JsonNode root, String type, Defaults defaults, int layers) {
        if (type.equals("llama")) {
            return new int[] {0, 0};
        }
        boolean on = type.equals("mistral") || boolField(root, "use_sliding_window", false);
        int window = root.has("sliding_window") ? intField(root, "sliding_window", 0) : defaults.slidingWindow();
        if (root.hasNonNull("sliding_window") && window <= 0) {
            throw new IllegalArgumentException("config field 'sliding_window': expected a positive integer or null, got " + window);
        }
        int fullLayers = type.equals("qwen2") ? intField(root, "max_window_layers", defaults.maxWindowLayers()) : 0;
        require(fullLayers >= 0, "max_window_layers", "a non-negative integer, got " + fullLayers);
        if (type.equals("qwen2") && root.hasNonNull("layer_types")) {
            fullLayers = fullAttentionLayers(root.get("layer_types"), layers);
        }
        return new int[] {on ? window : 0, fullLayers};
    }

    /**
     * transformers 4.53+ writes Qwen2's layer_types: ["full_attention"] * max_window_layers then
     * "sliding_attention". Returns the number of leading full layers; other patterns are refused.
     */
    private static int fullAttentionLayers(JsonNode types, int layers) {
        String expected = "a list of " + layers + " entries, \"full_attention\" then \"sliding_attention\"";
        if (!types.isArray() || types.size() != layers) {
            throw new IllegalArgumentException("config field 'layer_types': expected " + expected + ", got " + types);
        }
        int full = 0;
        while (full < layers && types.get(full).asText().equals("full_attention")) {
            full++;
        }
        for (int i = full; i < layers; i++) {
            if (!types.get(i).asText().equals("sliding_attention")) {
                throw new IllegalArgumentException("config field 'layer_types': expected " + expected + ", got "
                        + types.get(i) + " at layer " + i);
            }
        }
        return full;
    }

    private record Rope(double theta, RopeScaling scaling) {}

    /**
     * rope_theta and rope_scaling (transformers 4.x), or rope_parameters {rope_type, rope_theta, ...}
     * (what transformers 5 writes). Only the default and llama3 rope types are implemented.
     */
    private static Rope rope(JsonNode root) {
        boolean legacy = root.hasNonNull("rope_scaling");
        String name = legacy ? "rope_scaling" : "rope_parameters";
        JsonNode node = legacy ? root.get("rope_scaling") : root.get("rope_parameters");
        if (node == null || node.isNull()) {
            return new Rope(numberField(root, "rope_theta", 10000.0), null);
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("config field '" + name + "': expected an object or null, got " + node);
        }
        if (node.has("full_attention") || node.has("sliding_attention")) {
            throw new IllegalArgumentException("config field '" + name + "': expected one set of RoPE parameters, got one per layer type");
        }
        // transformers 5: a rope_theta inside the parameters wins over the top-level one
        double theta = node.has("rope_theta") ? numberField(node, "rope_theta", name + ".rope_theta", null)
                : numberField(root, "rope_theta", 10000.0);
        if (node.hasNonNull("partial_rotary_factor")) {
            double f = numberField(node, "partial_rotary_factor", name + ".partial_rotary_factor", 1.0);
            require(f == 1.0, name + ".partial_rotary_factor", "1.0 (RoPE over the whole head), got " + f);
        }
        String type = node.has("rope_type") ? node.get("rope_type").asText() : node.path("type").asText("");
        if (type.equals("default") || (!legacy && type.isEmpty())) {
            return new Rope(theta, null);
        }
        if (!type.equals("llama3")) {
            throw new IllegalArgumentException("config field '" + name + ".rope_type': expected 'llama3' or 'default', got '"
                    + type + "' (" + (type.isEmpty() ? "no rope_type" : "this scaling is not implemented") + ")");
        }
        RopeScaling scaling = new RopeScaling(type, numberField(node, "factor", name + ".factor", null),
                numberField(node, "low_freq_factor", name + ".low_freq_factor", null),
                numberField(node, "high_freq_factor", name + ".high_freq_factor", null),
                intField(node, "original_max_position_embeddings", name + ".original_max_position_embeddings", null));
        require(scaling.factor() > 0, name + ".factor", "a positive number");
        require(scaling.highFreqFactor() > scaling.lowFreqFactor(), name + ".high_freq_factor", "more than low_freq_factor");
        require(scaling.originalMaxPositionEmbeddings() > 0, name + ".original_max_position_embeddings", "a positive integer");
        return new Rope(theta, scaling);
    }

    private static int intField(JsonNode root, String field, Integer fallback) {
        return intField(root, field, field, fallback);
    }

    /** @param name the field as the error names it (e.g. "rope_scaling.factor") */
    private static int intField(JsonNode root, String field, String name, Integer fallback) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            if (fallback == null) {
                throw new IllegalArgumentException("missing config field '" + name + "' (expected an integer)");
            }
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException("config field '" + name + "': expected an integer, got " + v);
        }
        return v.asInt();
    }

    /** eos_token_id: an integer, a non-empty list of integers, or null/absent (then {@code fallback}). */
    private static List<Integer> eosIds(JsonNode root, String field, List<Integer> fallback) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isArray()) {
            return List.of(intField(root, field, null));
        }
        List<Integer> ids = new ArrayList<>();
        for (JsonNode id : v) {
            if (!id.isIntegralNumber() || !id.canConvertToInt()) {
                ids.clear();
                break;
            }
            ids.add(id.asInt());
        }
        if (ids.isEmpty()) {
            throw new IllegalArgumentException(
                    "config field '" + field + "': expected an integer or a non-empty list of integers, got " + v);
        }
        return ids;
    }

    private static double numberField(JsonNode root, String field, Double fallback) {
        return numberField(root, field, field, fallback);
    }

    private static double numberField(JsonNode root, String field, String name, Double fallback) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            if (fallback == null) {
                throw new IllegalArgumentException("missing config field '" + name + "' (expected a number)");
            }
            return fallback;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException("config field '" + name + "': expected a number, got " + v);
        }
        return v.asDouble();
    }

    private static String textField(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (!v.isTextual()) {
            throw new IllegalArgumentException("config field '" + field + "': expected a string, got " + v);
        }
        return v.asText();
    }

    private static boolean boolField(JsonNode root, String field, boolean fallback) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException("config field '" + field + "': expected true or false, got " + v);
        }
        return v.asBoolean();
    }

    /** The Hugging Face {@code config.json} for this configuration. */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        String arch = switch (modelType) {
            case "mistral" -> "MistralForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            default -> "LlamaForCausalLM";
        };
        n.putArray("architectures").add(arch);
        n.put("model_type", modelType);
        n.put("vocab_size", vocabSize);
        n.put("hidden_size", hiddenSize);
        n.put("intermediate_size", intermediateSize);
        n.put("num_hidden_layers", numHiddenLayers);
        n.put("num_attention_heads", numAttentionHeads);
        n.put("num_key_value_heads", numKeyValueHeads);
        n.put("head_dim", headDim);
        n.put("hidden_act", "silu");
        n.put("rms_norm_eps", rmsNormEps);
        n.put("rope_theta", ropeTheta);
        if (ropeScaling == null) {
            n.putNull("rope_scaling");
        } else {
            ObjectNode r = n.putObject("rope_scaling");
            r.put("rope_type", ropeScaling.type());
            r.put("factor", ropeScaling.factor());
            r.put("low_freq_factor", ropeScaling.lowFreqFactor());
            r.put("high_freq_factor", ropeScaling.highFreqFactor());
            r.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
        }
        n.put("max_position_embeddings", maxPositionEmbeddings);
        n.put("tie_word_embeddings", tieWordEmbeddings);
        switch (modelType) {
            case "llama" -> {
                n.put("attention_bias", attentionBias);
                n.put("mlp_bias", mlpBias);
            }
            case "mistral" -> putId(n, "sliding_window", slidingWindow == 0 ? -1 : slidingWindow);
            default -> { // qwen2
                n.put("use_sliding_window", slidingWindow > 0);
                putId(n, "sliding_window", slidingWindow == 0 ? -1 : slidingWindow);
                n.put("max_window_layers", maxWindowLayers);
            }
        }
        n.put("attention_dropout", attentionDropout);
        n.put("initializer_range", initializerRange);
        putId(n, "bos_token_id", bosTokenId);
        if (eosTokenIds.size() > 1) {
            ArrayNode eos = n.putArray("eos_token_id");
            eosTokenIds.forEach(eos::add);
        } else {
            putId(n, "eos_token_id", eosTokenId());
        }
        putId(n, "pad_token_id", padTokenId);
        n.put("torch_dtype", "float32");
        return n;
    }

    private static void putId(ObjectNode n, String field, int id) {
        if (id < 0) {
            n.putNull(field);
        } else {
            n.put(field, id);
        }
    }

    public void save(Path file) throws IOException {
        save(file, "float32");
    }

    /** Writes config.json with {@code torch_dtype} naming the type the weights are stored in ("bfloat16", ...). */
    public void save(Path file, String torchDtype) throws IOException {
        ObjectNode json = toJson();
        json.put("torch_dtype", torchDtype);
        dev.tunelab.io.AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.modelType = modelType; b.vocabSize = vocabSize; b.hiddenSize = hiddenSize;
        b.intermediateSize = intermediateSize; b.numHiddenLayers = numHiddenLayers;
        b.numAttentionHeads = numAttentionHeads; b.numKeyValueHeads = numKeyValueHeads; b.headDim = headDim;
        b.rmsNormEps = rmsNormEps; b.ropeTheta = ropeTheta; b.ropeScaling = ropeScaling;
        b.maxPositionEmbeddings = maxPositionEmbeddings; b.tieWordEmbeddings = tieWordEmbeddings;
        b.attentionBias = attentionBias; b.attentionOutputBias = attentionOutputBias; b.mlpBias = mlpBias;
        b.slidingWindow = slidingWindow; b.maxWindowLayers = maxWindowLayers;
        b.bosTokenId = bosTokenId; b.eosTokenIds = eosTokenIds.stream().mapToInt(Integer::intValue).toArray();
        b.padTokenId = padTokenId;
        b.initializerRange = initializerRange;
        b.attentionDropout = attentionDropout;
        return b;
    }

    /** Starts from a tiny Llama (2 layers, hidden 64, 4 heads, 2 KV heads); set what differs. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder for from-scratch models; head_dim follows hidden_size / heads unless set. */
    public static final class Builder {
        private String modelType = "llama";
        private int vocabSize = 256;
        private int hiddenSize = 64;
        private int intermediateSize = 172;
        private int numHiddenLayers = 2;
        private int numAttentionHeads = 4;
        private int numKeyValueHeads = 2;
        private int headDim = -1;
        private double rmsNormEps = 1e-5;
        private double ropeTheta = 10000;
        private RopeScaling ropeScaling;
        private int maxPositionEmbeddings = 512;
        private boolean tieWordEmbeddings = true;
        private boolean attentionBias;
        private boolean attentionOutputBias;
        private boolean mlpBias;
        private int slidingWindow;
        private int maxWindowLayers;
        private int bosTokenId = 1;
        private int[] eosTokenIds = {2};
        private int padTokenId = 0;
        private double initializerRange = 0.02;
        private double attentionDropout = 0.0;

        /**
         * "llama", "mistral" (no biases) or "qwen2" (q/k/v biases only); sets the biases the
         * family's transformers class has.
         */
        public Builder modelType(String v) {
            modelType = v;
            attentionBias = v.equals("qwen2");
            attentionOutputBias = false;
            mlpBias = false;
            return this;
        }
        public Builder vocabSize(int v) { vocabSize = v; return this; }
        public Builder hiddenSize(int v) { hiddenSize = v; headDim = -1; return this; }
        public Builder intermediateSize(int v) { intermediateSize = v; return this; }
        public Builder layers(int v) { numHiddenLayers = v; return this; }
        public Builder heads(int v) { numAttentionHeads = v; headDim = -1; return this; }
        public Builder kvHeads(int v) { numKeyValueHeads = v; return this; }
        public Builder headDim(int v) { headDim = v; return this; }
        public Builder rmsNormEps(double v) { rmsNormEps = v; return this; }
        public Builder ropeTheta(double v) { ropeTheta = v; return this; }
        public Builder ropeScaling(RopeScaling v) { ropeScaling = v; return this; }
        public Builder maxPositions(int v) { maxPositionEmbeddings = v; return this; }
        public Builder tieWordEmbeddings(boolean v) { tieWordEmbeddings = v; return this; }
        public Builder attentionBias(boolean v) { attentionBias = v; attentionOutputBias = v; return this; }
        public Builder mlpBias(boolean v) { mlpBias = v; return this; }
        /** Sliding-window attention of width v (0: none), from layer {@code fullLayers} on (Qwen2's max_window_layers). */
        public Builder slidingWindow(int v, int fullLayers) { slidingWindow = v; maxWindowLayers = fullLayers; return this; }
        /** Sliding-window attention of width v in every layer, as Mistral (0: none). */
        public Builder slidingWindow(int v) { return slidingWindow(v, 0); }
        public Builder specialTokens(int bos, int eos, int pad) {
            bosTokenId = bos; eosTokenIds = eos < 0 ? new int[0] : new int[] {eos}; padTokenId = pad; return this;
        }
        /** Every token that ends a sequence (the first is {@link LlamaConfig#eosTokenId()}). */
        public Builder eosTokenIds(int... ids) { eosTokenIds = ids.clone(); return this; }
        public Builder initializerRange(double v) { initializerRange = v; return this; }
        /** Dropout on attention probabilities while training (HF's attention_dropout). */
        public Builder attentionDropout(double v) { attentionDropout = v; return this; }

        public LlamaConfig build() {
            int hd = headDim > 0 ? headDim : hiddenSize / numAttentionHeads;
            return new LlamaConfig(modelType, vocabSize, hiddenSize, intermediateSize, numHiddenLayers,
                    numAttentionHeads, numKeyValueHeads, hd, rmsNormEps, ropeTheta, ropeScaling,
                    maxPositionEmbeddings, tieWordEmbeddings, attentionBias, attentionOutputBias, mlpBias,
                    slidingWindow, maxWindowLayers, bosTokenId, java.util.Arrays.stream(eosTokenIds).boxed().toList(),
                    padTokenId, initializerRange, attentionDropout);
        }
    }

    /** Parameter count of the model this config describes, biases not included. */
    public long parameterCount() {
        long attn = (long) hiddenSize * headDim * (numAttentionHeads * 2L + numKeyValueHeads * 2L);
        long mlp = 3L * hiddenSize * intermediateSize;
        long layer = attn + mlp + 2L * hiddenSize;
        long embed = (long) vocabSize * hiddenSize;
        return embed * (tieWordEmbeddings ? 1 : 2) + layer * numHiddenLayers + hiddenSize;
    }
}
