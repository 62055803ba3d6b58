package dev.tunelab.peft;

import static dev.tunelab.peft.ConfigJson.optionalBool;
import static dev.tunelab.peft.ConfigJson.optionalInt;
import static dev.tunelab.peft.ConfigJson.optionalNumber;
import static dev.tunelab.peft.ConfigJson.optionalText;
import static dev.tunelab.peft.ConfigJson.requiredInt;
import static dev.tunelab.peft.ConfigJson.requiredNumber;
import static dev.tunelab.peft.ConfigJson.requiredText;
import static dev.tunelab.peft.ConfigJson.stringList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import java.util.Arrays;
import java.util.List;

/**
 * adapter_config.json in PEFT's field names. Written as PEFT's save_pretrained writes it
 * (inference_mode true, task_type CAUSAL_LM); read back with every field checked, and
 * features tunelab does not implement (fan_in_fan_out, rank patterns, LoRA bias, the initialisations
 * other than PEFT's default, PiSSA, OLoRA and LoftQ, ...) refused by name.
 */
final class AdapterConfigs {
    private AdapterConfigs() {}

    static ObjectNode toJson(AdapterConfig config, LlamaModel model) {
        ObjectNode n = ConfigJson.JSON.createObjectNode();
        n.put("peft_type", config.peftType().name());
        n.put("task_type", "CAUSAL_LM");
        n.put("base_model_name_or_path", config.baseModelNameOrPath());
        n.put("inference_mode", true);
        n.putNull("revision");
        LlamaConfig c = model.config();
        if (config instanceof LoraConfig l) {
            n.put("r", l.r());
            ConfigJson.putNumber(n, "lora_alpha", l.alpha());
            if (l.targetPattern() != null) {
                n.put("target_modules", l.targetPattern());
            } else {
                ArrayNode t = n.putArray("target_modules");
                l.targetModules().forEach(t::add);
            }
            n.put("lora_dropout", l.dropout());
            n.put("bias", l.bias());
            n.put("use_rslora", l.useRslora());
            n.put("fan_in_fan_out", false);
            n.putNull("modules_to_save");
            if (l.initLoraWeights().equals(LoraConfig.DEFAULT_INIT)) {
                n.put("init_lora_weights", true);
            } else {
                n.put("init_lora_weights", l.initLoraWeights());
            }
            n.putNull("layers_to_transform");
            n.putNull("layers_pattern");
            n.putObject("rank_pattern");
            n.putObject("alpha_pattern");
            n.put("use_dora", l.useDora());
            ObjectNode loftq = n.putObject("loftq_config");
            if (l.loftqIter() > 0) {
                loftq.put("loftq_bits", LoraConfig.LOFTQ_BITS);
                loftq.put("loftq_iter", l.loftqIter());
            }
        } else if (config instanceof PromptTuningConfig p) {
            promptLearning(n, p.numVirtualTokens(), c.hiddenSize(), c.numAttentionHeads(), c);
            n.put("prompt_tuning_init", p.init());
            n.put("prompt_tuning_init_text", p.initText());
            n.put("tokenizer_name_or_path", p.tokenizerNameOrPath());
        } else if (config instanceof PrefixTuningConfig p) {
            int kv = PrefixTuning.kvDim(c);
            promptLearning(n, p.numVirtualTokens(), kv, c.numKeyValueHeads(), c);
            n.put("encoder_hidden_size", p.encoderHiddenSize() > 0 ? p.encoderHiddenSize() : kv);
            n.put("prefix_projection", p.prefixProjection());
        } else if (config instanceof Ia3Config i) {
            ArrayNode t = n.putArray("target_modules");
            i.targetModules().forEach(t::add);
            ArrayNode f = n.putArray("feedforward_modules");
            i.feedforwardModules().forEach(f::add);
            n.put("fan_in_fan_out", false);
            n.putNull("modules_to_save");
            n.put("init_ia3_weights", true);
        } else {
            throw new IllegalArgumentException("unknown adapter config " + config);
        }
        return n;
    }

    /** PromptLearningConfig's fields; token_dim and heads are per KV head for prefix tuning (PEFT's GQA handling). */
    private static void promptLearning(ObjectNode n, int virtualTokens, int tokenDim, int heads, LlamaConfig c) {
        n.put("num_virtual_tokens", virtualTokens);
        n.put("token_dim", tokenDim);
        n.put("num_transformer_submodules", 1);
        n.put("num_attention_heads", heads);
        n.put("num_layers", c.numHiddenLayers());
    }

    static AdapterConfig fromJson(JsonNode root, LlamaModel model) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        String typeName = requiredText(root, "peft_type");
        PeftType type;
        try {
            type = PeftType.valueOf(typeName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field 'peft_type': expected one of " + Arrays.toString(PeftType.values())
                    + ", got '" + typeName + "'");
        }
        String task = optionalText(root, "task_type", "CAUSAL_LM");
        if (!task.equals("CAUSAL_LM")) {
            throw new IllegalArgumentException("field 'task_type': expected CAUSAL_LM (a decoder language model), got '" + task + "'");
        }
        String base = optionalText(root, "base_model_name_or_path", null);
        LlamaConfig c = model.config();
        return switch (type) {
            case LORA -> lora(root, base);
            case IA3 -> {
                unsupported(root, "fan_in_fan_out");
                noModulesToSave(root);
                List<String> targets = stringList(root, "target_modules");
                if (targets == null) {
                    throw new IllegalArgumentException("field 'target_modules': tunelab reads IA3 targets as a list of names, not a pattern");
                }
                List<String> ff = root.hasNonNull("feedforward_modules") ? stringList(root, "feedforward_modules") : List.of();
                if (ff == null) {
                    throw new IllegalArgumentException("field 'feedforward_modules': expected a list of module names");
                }
                yield new Ia3Config(targets, ff, base);
            }
            case PROMPT_TUNING -> {
                int p = promptLearningChecked(root, c.hiddenSize(), c);
                String init = optionalText(root, "prompt_tuning_init", "RANDOM");
                String text = init.equals("TEXT") ? optionalText(root, "prompt_tuning_init_text", null) : null;
                yield new PromptTuningConfig(p, text, optionalText(root, "tokenizer_name_or_path", null), 0, base);
            }
            case PREFIX_TUNING -> {
                int p = promptLearningChecked(root, PrefixTuning.kvDim(c), c);
                yield new PrefixTuningConfig(p, optionalBool(root, "prefix_projection", false),
                        optionalInt(root, "encoder_hidden_size", -1), 0, base);
            }
        };
    }

    private static LoraConfig lora(JsonNode root, String base) {
        int r = requiredInt(root, "r");
        double alpha = requiredNumber(root, "lora_alpha");
        List<String> targets = stringList(root, "target_modules");
        String pattern = targets == null ? root.get("target_modules").textValue() : null;
        unsupported(root, "fan_in_fan_out");
        unsupported(root, "lora_bias");
        unsupported(root, "use_qalora");
        noModulesToSave(root);
        for (String field : List.of("exclude_modules", "layer_replication", "target_parameters", "trainable_token_indices",
                "megatron_config", "eva_config", "corda_config", "lora_ga_config", "arrow_config", "alora_invocation_tokens")) {
            JsonNode v = root.get(field);
            if (present(v)) {
                throw new IllegalArgumentException("field '" + field + "': not supported by tunelab, expected null");
            }
        }
        for (String field : List.of("rank_pattern", "alpha_pattern")) {
            JsonNode v = root.get(field);
            if (present(v)) {
                throw new IllegalArgumentException("field '" + field + "': per-module ranks are not supported, expected {}");
            }
        }
        if (root.hasNonNull("layers_to_transform")) {
            throw new IllegalArgumentException("field 'layers_to_transform': not supported, expected null (all layers)");
        }
        String bias = optionalText(root, "bias", "none");
        if (!bias.equals("none")) {
            throw new IllegalArgumentException("field 'bias': only \"none\" is supported, got '" + bias + "'");
        }
        String init = initLoraWeights(root);
        int loftqIter = loftqIter(root, init);
        return new LoraConfig(r, alpha, optionalNumber(root, "lora_dropout", 0), targets, pattern,
                optionalBool(root, "use_rslora", false), bias, 0, base, optionalBool(root, "use_dora", false), init, loftqIter);
    }

    /**
     * init_lora_weights: true, or a name of {@link LoraInit#SUPPORTED}. false and "gaussian" (random A
     * and B) read as the default: a loaded adapter's A and B come from the file, and only the
     * initialisations that rewrite the base weight (PiSSA, OLoRA, LoftQ) must be redone on load.
     */
    private static String initLoraWeights(JsonNode root) {
        JsonNode v = root.get("init_lora_weights");
        if (v == null || v.isNull() || v.isBoolean()) {
            return LoraConfig.DEFAULT_INIT;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("field 'init_lora_weights': expected true, false or a name, got " + v);
        }
        String init = v.textValue();
        if (init.equals("gaussian")) {
            return LoraConfig.DEFAULT_INIT;
        }
        try {
            LoraInit.check(init);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field 'init_lora_weights': " + e.getMessage());
        }
        return init;
    }

    /** loftq_config: {} unless init_lora_weights is "loftq", then loftq_bits 4 and loftq_iter >= 1. */
    private static int loftqIter(JsonNode root, String init) {
        JsonNode loftq = root.get("loftq_config");
        if (!init.equals(LoraInit.LOFTQ)) {
            if (present(loftq)) {
                throw new IllegalArgumentException("field 'loftq_config': set only with init_lora_weights \"loftq\", expected {}");
            }
            return 0;
        }
        if (loftq == null || !loftq.isObject() || loftq.isEmpty()) { // as PEFT's LoraConfig.__post_init__
            throw new IllegalArgumentException("field 'loftq_config': init_lora_weights \"loftq\" needs {\"loftq_bits\": 4, \"loftq_iter\": N}");
        }
        for (var it = loftq.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!f.equals("loftq_bits") && !f.equals("loftq_iter")) {
                throw new IllegalArgumentException("field 'loftq_config." + f + "': not supported, expected only loftq_bits and loftq_iter");
            }
        }
        int bits = optionalInt(loftq, "loftq_bits", LoraConfig.LOFTQ_BITS);
        if (bits != LoraConfig.LOFTQ_BITS) {
            throw new IllegalArgumentException("field 'loftq_config.loftq_bits': tunelab's LoftQ quantizes to NF4, expected 4, got " + bits);
        }
        int iter = optionalInt(loftq, "loftq_iter", 1);
        if (iter < 1) {
            throw new IllegalArgumentException("field 'loftq_config.loftq_iter': expected at least 1, got " + iter);
        }
        return iter;
    }

    /** Checks a prompt-learning config against the model; returns num_virtual_tokens. */
    private static int promptLearningChecked(JsonNode root, int tokenDim, LlamaConfig c) {
        int p = requiredInt(root, "num_virtual_tokens");
        if (p <= 0) {
            throw new IllegalArgumentException("field 'num_virtual_tokens': expected a positive integer, got " + p);
        }
        expectInt(root, "token_dim", tokenDim);
        expectInt(root, "num_layers", c.numHiddenLayers());
        expectInt(root, "num_transformer_submodules", 1);
        return p;
    }

    private static void expectInt(JsonNode root, String field, int expected) {
        int v = optionalInt(root, field, expected);
        if (v != expected) {
            throw new IllegalArgumentException("field '" + field + "': the base model needs " + expected + ", got " + v);
        }
    }

    /** Set to something: not absent, not null, not an empty list or object. */
    private static boolean present(JsonNode v) {
        return v != null && !v.isNull() && !(v.isContainerNode() && v.isEmpty());
    }

    private static void unsupported(JsonNode root, String field) {
        if (optionalBool(root, field, false)) {
            throw new IllegalArgumentException("field '" + field + "': true is not supported, expected false");
        }
    }

    private static void noModulesToSave(JsonNode root) {
        if (present(root.get("modules_to_save"))) {
            throw new IllegalArgumentException("field 'modules_to_save': fully trained extra modules are not supported, expected null");
        }
    }
}
