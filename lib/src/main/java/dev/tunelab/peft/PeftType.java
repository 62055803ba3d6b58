package dev.tunelab.peft;

/** The adapter kinds tunelab implements, spelled as PEFT's {@code peft_type} in adapter_config.json. */
public enum PeftType {
    LORA,
    PROMPT_TUNING,
    PREFIX_TUNING,
    IA3
}
