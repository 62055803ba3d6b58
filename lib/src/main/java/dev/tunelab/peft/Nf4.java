package dev.tunelab.peft;

/**
 * The 4-bit NormalFloat data type of QLoRA (Dettmers et al. 2023): 16 values that are quantiles
 * of N(0, 1) rescaled to [-1, 1], with an exact zero. Weights are divided by their block's absmax
 * and stored as the index of the nearest value.
 */
public final class Nf4 {
    private Nf4() {}

    /** The code book exactly as published in bitsandbytes (functional.py, get_4bit_type("nf4")). */
    static final float[] CODE_BOOK = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    };

    /** A copy of the 16 values, index = 4-bit code. */
    public static float[] codeBook() {
        return CODE_BOOK.clone();
    }
}
