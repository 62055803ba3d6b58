package dev.tunelab.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.io.AtomicFiles;
import dev.tunelab.io.SafeTensors;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * PEFT's adapter folder: {@code adapter_config.json} and {@code adapter_model.safetensors}. Tensor
 * keys are the parameter's path under {@code base_model.model.} without the adapter name (PEFT
 * strips it when saving), e.g. {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight};
 * DoRA adds {@code ...q_proj.lora_magnitude_vector.weight} (out); prompt-learning methods save one
 * tensor, {@code prompt_embeddings}.
 */
final class AdapterFiles {
    static final String CONFIG_FILE = "adapter_config.json";
    static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** PeftModel.base_model (the tuner) .model (the transformers model). */
    static final String KEY_PREFIX = "base_model.model.";
    /** The one tensor of prompt and prefix tuning. */
    static final String PROMPT_KEY = "prompt_embeddings";
    /** Where LlamaModel registers a prompt adapter. */
    static final String PROMPT_MODULE = "prompt_encoder";

    private AdapterFiles() {}

    static void save(PeftModel peft, String adapter, Path dir) throws IOException {
        AdapterConfig config = peft.config(adapter);
        Files.createDirectories(dir);
        try (NDManager scratch = peft.model().manager().newSubManager()) {
            Map<String, NDArray> tensors = Autograd.noGrad(() -> peftTensors(peft, adapter, scratch));
            SafeTensors.write(dir.resolve(WEIGHTS_FILE), tensors, Map.of("format", "pt"));
        }
        ObjectNode json = AdapterConfigs.toJson(config, peft.model());
        AtomicFiles.writeString(dir.resolve(CONFIG_FILE), ConfigJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
    }

    /** A saved tensor: its PEFT key, the parameter it comes from, and its shape in the file. */
    record Entry(String key, Parameter parameter, Shape savedShape) {}

    /**
     * The tensors of one adapter in PEFT's layout. Prefix tuning trained through its MLP is
     * saved as the MLP's output (computed in {@code scratch}), as PEFT's get_prompt_embedding_to_save.
     */
    static Map<String, NDArray> peftTensors(PeftModel peft, String adapter, NDManager scratch) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        if (peft.model().promptAdapter() instanceof PrefixTuning prefix) {
            out.put(PROMPT_KEY, prefix.table(scratch));
            return out;
        }
        for (Entry e : entries(peft, adapter)) {
            NDArray data = e.parameter().data();
            if (data.getShape().equals(e.savedShape())) {
                out.put(e.key(), data);
            } else {
                NDArray shaped = data.reshape(e.savedShape());
                shaped.attach(scratch); // a handle for writing only: closing it leaves the parameter alone
                out.put(e.key(), shaped);
            }
        }
        return out;
    }

    /** Adapter parameters with their PEFT keys (for prefix tuning: the table of a loaded, MLP-free prefix). */
    static List<Entry> entries(PeftModel peft, String adapter) {
        List<Entry> out = new ArrayList<>();
        switch (peft.type()) {
            case LORA -> Lora.layers(peft.model(), adapter).forEach((path, l) -> {
                out.add(new Entry(KEY_PREFIX + path + ".lora_A.weight", l.loraA(adapter), l.loraA(adapter).data().getShape()));
                out.add(new Entry(KEY_PREFIX + path + ".lora_B.weight", l.loraB(adapter), l.loraB(adapter).data().getShape()));
                if (l.config(adapter).useDora()) { // PEFT's key drops the adapter name: lora_magnitude_vector.weight
                    out.add(new Entry(KEY_PREFIX + path + ".lora_magnitude_vector.weight", l.magnitude(adapter),
                            l.magnitude(adapter).data().getShape()));
                }
            });
            case IA3 -> Ia3.layers(peft.model()).forEach((path, l) ->
                    out.add(new Entry(KEY_PREFIX + path + ".ia3_l", l.scale(), l.peftShape())));
            case PROMPT_TUNING, PREFIX_TUNING -> {
                Parameter table = peft.model().namedParameters().get(PROMPT_MODULE + ".embedding.weight");
                out.add(new Entry(PROMPT_KEY, table, table.data().getShape()));
            }
        }
        return out;
    }

    /** Parameters of one adapter by their names in the model tree. */
    static Map<String, Parameter> adapterParameters(PeftModel peft, String adapter) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        switch (peft.type()) {
            case LORA -> Lora.layers(peft.model(), adapter).forEach((path, l) -> {
                out.put(path + ".lora_A." + adapter + ".weight", l.loraA(adapter));
                out.put(path + ".lora_B." + adapter + ".weight", l.loraB(adapter));
                if (l.config(adapter).useDora()) {
                    out.put(path + ".lora_magnitude_vector." + adapter + ".weight", l.magnitude(adapter));
                }
            });
            case IA3 -> Ia3.layers(peft.model()).forEach((path, l) -> out.put(path + ".ia3_l", l.scale()));
            case PROMPT_TUNING, PREFIX_TUNING -> peft.model().namedParameters().forEach((name, p) -> {
                if (name.startsWith(PROMPT_MODULE + ".")) {
                    out.put(name, p);
                }
            });
        }
        return out;
    }

    static PeftModel load(LlamaModel model, Path dir) throws IOException {
        AdapterConfig config = readConfig(model, dir);
        PeftModel peft = switch (config.peftType()) {
            case LORA -> Lora.apply(model, (LoraConfig) config);
            case IA3 -> Ia3.apply(model, (Ia3Config) config);
            case PROMPT_TUNING -> PromptTuning.applyRandom(model, (PromptTuningConfig) config); // values come from the file
            case PREFIX_TUNING -> PrefixTuning.applyForInference(model, (PrefixTuningConfig) config);
        };
        try {
            fill(peft, peft.activeAdapter(), dir.resolve(WEIGHTS_FILE));
        } catch (IOException | RuntimeException e) {
            peft.unload();
            throw e;
        }
        return peft;
    }

    /** Adds a saved LoRA adapter under {@code name} next to the ones a LoRA model already has. */
    static void loadAdapter(PeftModel peft, Path dir, String name) throws IOException {
        AdapterConfig config = readConfig(peft.model(), dir);
        if (!(config instanceof LoraConfig lora) || peft.type() != PeftType.LORA) {
            throw new AdapterFormatException(dir.resolve(CONFIG_FILE) + ": field 'peft_type': a second adapter must be LORA on a LoRA model, got "
                    + config.peftType() + " on " + peft.type());
        }
        peft.addAdapter(name, lora);
        try {
            fill(peft, name, dir.resolve(WEIGHTS_FILE));
        } catch (IOException | RuntimeException e) {
            peft.deleteAdapter(name);
            throw e;
        }
    }

    private static AdapterConfig readConfig(LlamaModel model, Path dir) throws IOException {
        Path configFile = dir.resolve(CONFIG_FILE);
        Path weightsFile = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new AdapterFormatException(configFile + ": missing (an adapter folder needs PEFT's " + CONFIG_FILE + ")");
        }
        if (!Files.isRegularFile(weightsFile)) {
            throw new AdapterFormatException(weightsFile + ": missing (tunelab reads only safetensors adapters, never adapter_model.bin)");
        }
        try {
            return AdapterConfigs.fromJson(ConfigJson.JSON.readTree(configFile.toFile()), model);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AdapterFormatException(configFile + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new AdapterFormatException(configFile + ": " + e.getMessage(), e);
        }
    }

    /** Sets an attached adapter's parameters from the file, after checking every key and shape. */
    private static void fill(PeftModel peft, String adapter, Path weightsFile) throws IOException {
        LlamaModel model = peft.model();
        Map<String, NDArray> tensors = SafeTensors.loadAll(model.manager(), weightsFile);
        List<Entry> expected = entries(peft, adapter);
        TreeSet<String> problems = new TreeSet<>();
        Set<String> keys = new HashSet<>();
        for (Entry e : expected) {
            keys.add(e.key());
            NDArray value = tensors.get(e.key());
            if (value == null) {
                problems.add("missing tensor '" + e.key() + "' " + e.savedShape());
            } else if (!value.getShape().equals(e.savedShape())) {
                problems.add("tensor '" + e.key() + "' has shape " + value.getShape() + " but the base model needs " + e.savedShape());
            }
        }
        tensors.keySet().stream().filter(k -> !keys.contains(k))
                .forEach(k -> problems.add("unexpected tensor '" + k + "' (no matching module in the base model)"));
        if (!problems.isEmpty()) {
            tensors.values().forEach(NDArray::close);
            throw new AdapterFormatException(weightsFile + ": adapter does not fit the base model: " + String.join("; ", problems));
        }
        for (Entry e : expected) {
            try (NDArray value = tensors.get(e.key());
                    NDArray typed = value.toType(model.dtype(), true);
                    NDArray shaped = typed.reshape(e.parameter().data().getShape())) {
                // an owned copy: the file's arrays are backed by buffers freed when they are closed
                e.parameter().set(shaped.duplicate());
            }
        }
    }
}
