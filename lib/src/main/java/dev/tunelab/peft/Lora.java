package dev.tunelab.peft;

import dev.tunelab.model.Dense;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Linear;
import dev.tunelab.model.Module;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * Module surgery for LoRA: finds the target linear layers in the model tree and puts a
 * {@link LoraLinear} in their place, freezing everything else.
 */
public final class Lora {
    /** PEFT's name for the first adapter. */
    public static final String DEFAULT_ADAPTER = "default";

    private Lora() {}

    /** Freezes the model and attaches one LoRA adapter named "default"; train {@code result.model()}. */
    public static PeftModel apply(LlamaModel model, LoraConfig config) {
        PeftModel peft = new PeftModel(model, PeftType.LORA);
        peft.addAdapter(DEFAULT_ADAPTER, config);
        return peft;
    }

    /**
     * Adds adapter {@code name} on every target; returns the config with all-linear resolved to
     * the names it matched (as PEFT saves it).
     */
    static LoraConfig attach(LlamaModel model, String name, LoraConfig config) {
        String active = layers(model).values().stream().map(LoraLinear::activeAdapter).filter(a -> a != null)
                .findFirst().orElse(name);
        Map<String, Linear> targets = targets(model, config);
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no linear layer matches the LoRA targets of " + config
                    + "; linear layers are e.g. " + linearPaths(model).stream().limit(8).toList());
        }
        model.freeze();
        Random random = new Random(config.seed());
        TreeSet<String> leafNames = new TreeSet<>();
        targets.forEach((path, linear) -> {
            LoraLinear lora = linear instanceof LoraLinear l ? l : new LoraLinear(linear, model.manager(), model.dtype());
            if (lora != linear) {
                model.replace(path, lora);
            }
            lora.addAdapter(name, config, random);
            leafNames.add(path.substring(path.lastIndexOf('.') + 1));
        });
        layers(model).values().forEach(l -> l.setActiveAdapter(active)); // only the active adapter trains
        return config.allLinear() ? config.withTargets(new ArrayList<>(leafNames)) : config;
    }

    /** Target linear layers by path; LoRA layers count as their base and their insides are skipped. */
    static Map<String, Linear> targets(Module model, LoraConfig config) {
        Map<String, Linear> out = new LinkedHashMap<>();
        for (var e : model.namedModules().entrySet()) {
            String path = e.getKey();
            if (e.getValue() instanceof Linear linear && !insideLora(model, path) && config.targets(path)) {
                out.put(path, linear);
            }
        }
        return out;
    }

    private static List<String> linearPaths(Module model) {
        return model.namedModules().entrySet().stream()
                .filter(e -> e.getValue() instanceof Linear && !insideLora(model, e.getKey()))
                .map(Map.Entry::getKey).toList();
    }

    /** Whether a path lies below a LoRA layer (its base_layer or its A and B). */
    private static boolean insideLora(Module model, String path) {
        for (int dot = path.indexOf('.'); dot >= 0; dot = path.indexOf('.', dot + 1)) {
            if (model.module(path.substring(0, dot)) instanceof LoraLinear) {
                return true;
            }
        }
        return false;
    }

    /** The LoRA layers that hold adapter {@code name}, by path. */
    public static Map<String, LoraLinear> layers(Module model, String name) {
        Map<String, LoraLinear> out = new LinkedHashMap<>();
        layers(model).forEach((path, l) -> {
            if (l.adapters().contains(name)) {
                out.put(path, l);
            }
        });
        return out;
    }

    /** Every LoRA layer of the model by path. */
    public static Map<String, LoraLinear> layers(Module model) {
        Map<String, LoraLinear> out = new LinkedHashMap<>();
        model.namedModules().forEach((path, m) -> {
            if (m instanceof LoraLinear l) {
                out.put(path, l);
            }
        });
        return out;
    }

    /**
     * Merges the active adapter into plain {@link Dense} layers and removes every LoRA layer,
     * leaving an ordinary model that saves as a normal checkpoint. Quantized bases are
     * dequantized first (QLoRA's "merge back").
     */
    static void mergeAndUnload(LlamaModel model) {
        layers(model).forEach((path, lora) -> {
            boolean apply = lora.enabled() && lora.adapters().contains(lora.activeAdapter());
            Dense dense;
            if (lora.base() instanceof Dense d) {
                if (apply) {
                    lora.merge();
                }
                dense = d;
            } else {
                dense = QuantizedLinear.dequantizeToDense(lora.base(), model.manager());
                if (apply) { // W + scaling B A, or DoRA's rescaled version of it
                    dense.weight().set(lora.mergedWeight(dense.weight().data(), lora.activeAdapter()));
                }
            }
            lora.closeAdapters();
            model.replace(path, dense);
        });
    }
}
