package dev.tunelab.peft;

/** Settings of one adapter; each kind is saved as PEFT's adapter_config.json for its peft_type. */
public interface AdapterConfig {
    PeftType peftType();

    /** The base model the adapter was trained on (free text, as PEFT's base_model_name_or_path); may be null. */
    String baseModelNameOrPath();
}
