package dev.tunelab.generate;

/** Which code computes the logits while a {@link Generator} decodes. */
public enum Backend {
    /** The Java decoder where it can run the model (CPU, float32, inference mode, ...), else DJL. */
    AUTO,
    /** tunelab's Java decoder; generating fails with the reason where it cannot run the model. */
    JAVA,
    /** The model's DJL forward pass: any device and dtype; the reference the Java decoder is tested against. */
    DJL
}
