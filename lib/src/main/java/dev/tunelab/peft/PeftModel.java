package dev.tunelab.peft;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Module;
import dev.tunelab.model.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A base model with adapters of one kind attached inside it. The adapters live in the model's
 * own module tree, so {@code Trainer.fit(peft, ...)} trains them: the base is frozen and only
 * adapter parameters are trainable (and only they get optimizer state); the run records the
 * adapter's settings and its checkpoints are adapter folders.
 *
 * <p>Several named adapters can share one base; one is active. Saving writes PEFT's
 * {@code adapter_config.json} and {@code adapter_model.safetensors}.
 */
public final class PeftModel implements Renderable {
    private final LlamaModel model;
    private final PeftType type;
    private final Map<String, AdapterConfig> adapters = new LinkedHashMap<>();
    private String active;

    PeftModel(LlamaModel model, PeftType type) {
        this.model = model;
        this.type = type;
    }

    /** The adapted model: pass it to the Trainer, the Generator, perplexity. */
    public LlamaModel model() {
        return model;
    }

    public PeftType type() {
        return type;
    }

    public String activeAdapter() {
        return active;
    }

    public AdapterConfig config() {
        return adapters.get(active);
    }

    public AdapterConfig config(String adapter) {
        AdapterConfig c = adapters.get(adapter);
        if (c == null) {
            throw new IllegalArgumentException("no adapter '" + adapter + "'; adapters are " + adapters.keySet());
        }
        return c;
    }

    public Map<String, AdapterConfig> adapters() {
        return Map.copyOf(adapters);
    }

    // ---- LoRA ---------------------------------------------------------------------------

    /** Adds another LoRA adapter on the same base; the first one added stays active. */
    public PeftModel addAdapter(String name, LoraConfig config) {
        requireType(PeftType.LORA, "addAdapter(LoraConfig)");
        if (adapters.containsKey(name)) {
            throw new IllegalArgumentException("adapter '" + name + "' already exists");
        }
        adapters.put(name, Lora.attach(model, name, config));
        if (active == null) {
            active = name;
        }
        return this;
    }

    /** Removes a LoRA adapter (not the active one). */
    public PeftModel deleteAdapter(String name) {
        requireType(PeftType.LORA, "deleteAdapter");
        config(name);
        if (name.equals(active) && adapters.size() > 1) {
            throw new IllegalStateException("adapter '" + name + "' is active; setAdapter another one first");
        }
        Lora.layers(model, name).values().forEach(l -> l.removeAdapter(name));
        adapters.remove(name);
        if (name.equals(active)) {
            active = null;
        }
        return this;
    }

    /** Switches the active adapter; only its parameters are trainable afterwards. */
    public PeftModel setAdapter(String name) {
        config(name);
        if (type == PeftType.LORA) {
            Lora.layers(model).values().forEach(l -> l.setActiveAdapter(name));
        }
        active = name;
        return this;
    }

    /** Turns adapters off (the base model, e.g. the reference model of DPO/PPO) or on again. */
    public PeftModel setAdaptersEnabled(boolean on) {
        requireType(PeftType.LORA, "setAdaptersEnabled");
        Lora.layers(model).values().forEach(l -> l.setEnabled(on));
        return this;
    }

    /** Runs {@code body} with adapters disabled, re-enabling them afterwards. */
    public <T> T withAdaptersDisabled(java.util.function.Supplier<T> body) {
        setAdaptersEnabled(false);
        try {
            return body.get();
        } finally {
            setAdaptersEnabled(true);
        }
    }

    /** Adds the active adapter into the base weights (faster inference); {@link #unmerge()} undoes it. */
    public PeftModel merge() {
        requireType(PeftType.LORA, "merge");
        Lora.layers(model).values().forEach(LoraLinear::merge);
        return this;
    }

    public PeftModel unmerge() {
        requireType(PeftType.LORA, "unmerge");
        Lora.layers(model).values().forEach(LoraLinear::unmerge);
        return this;
    }

    /**
     * Merges the active adapter and removes all LoRA layers (dequantizing QLoRA bases), returning
     * a plain model that {@link LlamaModel#save} writes as a normal checkpoint. This PeftModel is
     * unusable afterwards.
     */
    public LlamaModel mergeAndUnload() {
        requireType(PeftType.LORA, "mergeAndUnload");
        Lora.mergeAndUnload(model);
        adapters.clear();
        active = null;
        return model;
    }

    /**
     * Removes every adapter without merging, restoring the original layers (PEFT's unload). The
     * base parameters stay frozen. This PeftModel is unusable afterwards.
     */
    public LlamaModel unload() {
        switch (type) {
            case LORA -> Lora.layers(model).forEach((path, l) -> {
                if (l.isMerged()) {
                    l.unmerge();
                }
                l.closeAdapters();
                model.replace(path, l.base());
            });
            case IA3 -> Ia3.layers(model).forEach((path, l) -> {
                l.scale().data().close();
                model.replace(path, l.base());
            });
            case PROMPT_TUNING, PREFIX_TUNING -> {
                model.promptAdapter().namedParameters().values().forEach(p -> p.data().close());
                model.setPromptAdapter(null);
            }
        }
        adapters.clear();
        active = null;
        return model;
    }

    private void requireType(PeftType wanted, String operation) {
        if (type != wanted) {
            throw new IllegalStateException(operation + " applies to " + wanted + " adapters; this model has " + type);
        }
    }

    // ---- reporting ----------------------------------------------------------------------

    /** Trainable and total parameters; a quantized weight counts as the parameters it stores. */
    public ParameterCounts parameterCounts() {
        long trainable = 0;
        long total = 0;
        for (Parameter p : model.namedParameters().values()) {
            total += p.size();
            trainable += p.trainable() ? p.size() : 0;
        }
        for (Module m : model.namedModules().values()) {
            if (m instanceof QuantizedLinear q) {
                total += q.inFeatures() * q.outFeatures();
            }
        }
        return new ParameterCounts(trainable, total);
    }

    /** Adapter parameters of one adapter by their name in the model tree. */
    public Map<String, Parameter> adapterParameters(String adapter) {
        return AdapterFiles.adapterParameters(this, adapter);
    }

    /**
     * The trainable parameters whose values {@code adapter_model.safetensors} holds as they are,
     * by their key in that file (what a checkpoint restores from it); empty for prefix tuning,
     * whose file holds the computed prefix table rather than the trained parameters.
     */
    public Map<String, Parameter> savedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        if (type != PeftType.PREFIX_TUNING) {
            AdapterFiles.entries(this, active).forEach(e -> out.put(e.key(), e.parameter()));
        }
        return out;
    }

    /** The active adapter's settings as PEFT writes them to adapter_config.json (what a run records). */
    public Map<String, Object> configMap() {
        return ConfigJson.JSON.convertValue(AdapterConfigs.toJson(config(), model),
                new com.fasterxml.jackson.core.type.TypeReference<LinkedHashMap<String, Object>>() {});
    }

    // ---- files --------------------------------------------------------------------------

    /** Writes the active adapter as PEFT does: adapter_config.json and adapter_model.safetensors. */
    public void save(Path dir) throws IOException {
        AdapterFiles.save(this, active, dir);
    }

    /** Writes one named adapter (PEFT keeps non-default adapters in a subfolder named after them). */
    public void save(Path dir, String adapter) throws IOException {
        AdapterFiles.save(this, adapter, dir);
    }

    /** Loads a saved LoRA adapter as another named adapter on this model (it does not become active). */
    public PeftModel loadAdapter(Path dir, String name) throws IOException {
        AdapterFiles.loadAdapter(this, dir, name);
        return this;
    }

    /** Loads an adapter saved by tunelab or Python PEFT onto {@code model}, as adapter "default". */
    public static PeftModel load(LlamaModel model, Path dir) throws IOException {
        return AdapterFiles.load(model, dir);
    }

    @Override
    public String toString() {
        return "PeftModel(" + type + ", adapters=" + adapters.keySet() + ", active=" + active + ", " + parameterCounts() + ")";
    }

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> b = new LinkedHashMap<>();
        b.put(MimeBundles.HTML, "<p><b>PeftModel</b> " + type + ", active adapter <code>" + active + "</code> of "
                + adapters.keySet() + "</p>" + parameterCounts().mimeBundle().get(MimeBundles.HTML));
        b.put(MimeBundles.TEXT, toString());
        return b;
    }

    /** Registers a loaded or newly attached adapter of a non-LoRA kind. */
    void register(String name, AdapterConfig config) {
        adapters.put(name, config);
        if (active == null) {
            active = name;
        }
    }
}
