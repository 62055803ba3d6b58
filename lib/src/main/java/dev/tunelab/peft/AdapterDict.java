package dev.tunelab.peft;

import dev.tunelab.model.Module;

/**
 * Child modules keyed by adapter name, as PyTorch's nn.ModuleDict in PEFT's layers, so a LoRA
 * weight is named {@code q_proj.lora_A.default.weight} exactly as PEFT names it in memory.
 */
final class AdapterDict extends Module {
    void put(String adapter, Module module) {
        addChild(adapter, module);
    }

    <M extends Module> M get(String adapter) {
        return child(adapter);
    }

    void remove(String adapter) {
        removeChild(adapter);
    }
}
