package dev.tunelab.peft;

import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Linear;
import dev.tunelab.model.Module;
import java.util.LinkedHashMap;
import java.util.Map;

/** Module surgery for IA3: wraps the target linear layers in {@link Ia3Linear}, freezing everything else. */
public final class Ia3 {
    private Ia3() {}

    public static PeftModel apply(LlamaModel model, Ia3Config config) {
        model.freeze();
        Map<String, Linear> targets = new LinkedHashMap<>();
        model.namedModules().forEach((path, m) -> {
            if (m instanceof Linear l && !(m instanceof Ia3Linear) && !path.endsWith(".base_layer") && config.targets(path)) {
                targets.put(path, l);
            }
        });
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no linear layer matches the IA3 targets " + config.targetModules());
        }
        targets.forEach((path, l) -> model.replace(path,
                new Ia3Linear(l, config.feedforward(path), model.manager(), model.dtype())));
        PeftModel peft = new PeftModel(model, PeftType.IA3);
        peft.register(Lora.DEFAULT_ADAPTER, config);
        return peft;
    }

    public static Map<String, Ia3Linear> layers(Module model) {
        Map<String, Ia3Linear> out = new LinkedHashMap<>();
        model.namedModules().forEach((path, m) -> {
            if (m instanceof Ia3Linear l) {
                out.put(path, l);
            }
        });
        return out;
    }
}
