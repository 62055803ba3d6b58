package dev.tunelab.bench;

/**
 * Matrix-multiply FLOPs of one training step (forward and backward), as counted in the PaLM paper
 * (Chowdhury et al. 2022, appendix B): 6 N per token for the weights (2 forward, 4 backward) plus
 * 12 L T d per token for attention scores and their weighted sum, where N is the parameter count,
 * L the layers, T the sequence length and d the attention width (heads x head_dim = hidden size).
 * Element-wise work (norms, softmax, RoPE, the optimizer) is left out, so the count is a lower bound.
 */
public final class TrainingFlops {
    private TrainingFlops() {}

    /** FLOPs per token: 6 N + 12 L T d. */
    public static double perToken(long parameters, int layers, int sequenceLength, int attentionWidth) {
        return 6.0 * parameters + 12.0 * layers * sequenceLength * attentionWidth;
    }

    /** FLOPs of a step over {@code batch} sequences of {@code sequenceLength} tokens. */
    public static double perStep(long parameters, int layers, int sequenceLength, int attentionWidth, int batch) {
        return perToken(parameters, layers, sequenceLength, attentionWidth) * batch * sequenceLength;
    }

    /** The formula as printed in the report. */
    public static String formula() {
        return "(6 N + 12 L T d) x tokens";
    }
}
