package dev.tunelab.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The fields of a Hugging Face {@code config.json} that a Llama-family decoder needs
 * (Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama all share this shape).
 *
 * @param ropeScaling null for plain RoPE, or the llama3 frequency scaling
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
        int bosTokenId,
        int eosTokenId,
        int padTokenId,
        double initializerRange,
        double attentionDropout) {

    /** llama3 rope scaling, as transformers' {@code _compute_llama3_parameters}. */
    public record RopeScaling(
            String type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {}

    private static final Set<String> MODEL_TYPES = Set.of("llama", "mistral", "qwen2");
    private static final ObjectMapper JSON = new ObjectMapper();

    public LlamaConfig {
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
    }

    private static void require(boolean ok, String field, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("config field '" + field + "': expected " + expected);
        }
    }

    public int kvGroups() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** Reads {@code config.json}; any missing or mistyped field is reported with the file and field. */
    public static LlamaConfig load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": missing (a model folder needs the Hugging Face config.json)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
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
        int hidden = intField(root, "hidden_size", null);
        int heads = intField(root, "num_attention_heads", null);
        int kvHeads = intField(root, "num_key_value_heads", heads);
        int headDim = root.hasNonNull("head_dim") ? intField(root, "head_dim", null) : hidden / Math.max(heads, 1);
        boolean qwen = type.equals("qwen2");
        // Qwen2 always has q/k/v biases and no o_proj bias; Llama's attention_bias covers all four.
        boolean attnBias = qwen || boolField(root, "attention_bias", false);
        boolean attnOutBias = !qwen && boolField(root, "attention_bias", false);
        // Llama 3 lists several end tokens; generation stops at the first (the others end chat turns).
        int eos = root.path("eos_token_id").isArray() ? firstEos(root.get("eos_token_id")) : intField(root, "eos_token_id", -1);
        return new LlamaConfig(
                type,
                intField(root, "vocab_size", null),
                hidden,
                intField(root, "intermediate_size", null),
                intField(root, "num_hidden_layers", null),
                heads,
                kvHeads,
                headDim,
                numberField(root, "rms_norm_eps", 1e-6),
                numberField(root, "rope_theta", 10000.0),
                ropeScaling(root.get("rope_scaling")),
                intField(root, "max_position_embeddings", 2048),
                boolField(root, "tie_word_embeddings", false),
                attnBias,
                attnOutBias,
                boolField(root, "mlp_bias", false),
                intField(root, "bos_token_id", -1),
                eos,
                intField(root, "pad_token_id", -1),
                numberField(root, "initializer_range", 0.02),
                numberField(root, "attention_dropout", 0.0));
    }

    private static RopeScaling ropeScaling(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = node.has("rope_type") ? node.get("rope_type").asText() : node.path("type").asText("");
        if (type.equals("default")) {
            return null;
        }
        if (!type.equals("llama3")) {
            throw new IllegalArgumentException("config field 'rope_scaling.rope_type': expected 'llama3' or none, got '"
                    + type + "' (not supported yet)");
        }
        return new RopeScaling(type, numberField(node, "factor", null), numberField(node, "low_freq_factor", null),
                numberField(node, "high_freq_factor", null), intField(node, "original_max_position_embeddings", null));
    }

    private static int intField(JsonNode root, String field, Integer fallback) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            if (fallback == null) {
                throw new IllegalArgumentException("missing config field '" + field + "' (expected an integer)");
            }
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException("config field '" + field + "': expected an integer, got " + v);
        }
        return v.asInt();
    }

    private static int firstEos(JsonNode list) {
        if (list.isEmpty() || !list.get(0).isIntegralNumber() || !list.get(0).canConvertToInt()) {
            throw new IllegalArgumentException(
                    "config field 'eos_token_id': expected an integer or a non-empty list of integers, got " + list);
        }
        return list.get(0).asInt();
    }

    private static double numberField(JsonNode root, String field, Double fallback) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            if (fallback == null) {
                throw new IllegalArgumentException("missing config field '" + field + "' (expected a number)");
            }
            return fallback;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException("config field '" + field + "': expected a number, got " + v);
        }
        return v.asDouble();
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
        if (!modelType.equals("qwen2")) {
            n.put("attention_bias", attentionBias);
        }
        n.put("mlp_bias", mlpBias);
        n.put("attention_dropout", attentionDropout);
        n.put("initializer_range", initializerRange);
        putId(n, "bos_token_id", bosTokenId);
        putId(n, "eos_token_id", eosTokenId);
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
        b.bosTokenId = bosTokenId; b.eosTokenId = eosTokenId; b.padTokenId = padTokenId;
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
        private int bosTokenId = 1;
        private int eosTokenId = 2;
        private int padTokenId = 0;
        private double initializerRange = 0.02;
        private double attentionDropout = 0.0;

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
        public Builder specialTokens(int bos, int eos, int pad) { bosTokenId = bos; eosTokenId = eos; padTokenId = pad; return this; }
        public Builder initializerRange(double v) { initializerRange = v; return this; }
        /** Dropout on attention probabilities while training (HF's attention_dropout). */
        public Builder attentionDropout(double v) { attentionDropout = v; return this; }

        public LlamaConfig build() {
            int hd = headDim > 0 ? headDim : hiddenSize / numAttentionHeads;
            return new LlamaConfig(modelType, vocabSize, hiddenSize, intermediateSize, numHiddenLayers,
                    numAttentionHeads, numKeyValueHeads, hd, rmsNormEps, ropeTheta, ropeScaling,
                    maxPositionEmbeddings, tieWordEmbeddings, attentionBias, attentionOutputBias, mlpBias,
                    bosTokenId, eosTokenId, padTokenId, initializerRange, attentionDropout);
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
