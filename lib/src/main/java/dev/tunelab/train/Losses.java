package dev.tunelab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.model.Autograd;

/** Language-modelling losses with Hugging Face's conventions (labels shifted inside, -100 ignored). */
public final class Losses {
    /** Label value that contributes no loss (prompt tokens, padding), as in transformers. */
    public static final long IGNORE_INDEX = -100;

    private Losses() {}

    /**
     * Causal-LM cross entropy: logits at position t predict labels at t + 1; the mean runs over
     * tokens whose label is not {@link #IGNORE_INDEX}.
     *
     * @param logits (B, T, vocab)
     * @param labels (B, T) int64
     * @return scalar mean negative log-likelihood
     */
    public static NDArray causalLm(NDArray logits, NDArray labels) {
        NDArray[] nll = shiftedNll(logits, labels);
        NDArray count = nll[1].sum().maximum(Autograd.scalar(nll[1], 1));
        return nll[0].mul(nll[1]).sum().div(count);
    }

    /**
     * Per-token negative log-likelihood of the shifted labels and the matching 0/1 weights, both
     * (B, T - 1). Perplexity and per-sequence sums build on this.
     */
    public static NDArray[] shiftedNll(NDArray logits, NDArray labels) {
        NDArray targets = labels.get(":, 1:");
        NDArray weights = targets.neq(IGNORE_INDEX).toType(logits.getDataType(), false);
        NDArray safeTargets = targets.maximum(Autograd.scalar(targets, 0)); // -100 would index out of range; its weight is 0
        return new NDArray[] {nextTokenLogProbs(logits, safeTargets).neg(), weights};
    }

    /**
     * log softmax(logits[:, t])[next[:, t]] for t < T - 1: logits (B, T, V) and the next tokens
     * (B, T - 1), usually the ids shifted left by one -> (B, T - 1). The targets move, not the logits:
     * the last position gets target 0 and is sliced off the (B, T) result, so backward never builds a
     * zero tensor of the logits' size for a slice of them (50 MiB a step at 256 tokens of a
     * 49,152-token vocabulary). Each row's values are those of slicing the logits.
     */
    public static NDArray nextTokenLogProbs(NDArray logits, NDArray next) {
        NDArray padded = next.concat(next.getManager().zeros(new ai.djl.ndarray.types.Shape(next.getShape().get(0), 1),
                next.getDataType()), 1);
        return tokenLogProbs(logits, padded).get(":, :-1");
    }

    /** log softmax(logits)[target] for each position: logits (B, T, V), targets (B, T) -> (B, T). */
    public static NDArray tokenLogProbs(NDArray logits, NDArray targets) {
        NDArray logSoftmax = logits.logSoftmax(-1);
        NDArray index = targets.toType(DataType.INT64, false).expandDims(-1);
        return logSoftmax.gather(index, -1).squeeze(-1);
    }

    /**
     * The negative log-likelihood of each row's labelled tokens, summed ({@code [0][b]}), and how
     * many there are ({@code [1][b]}): the one masked NLL that the held-out loss, perplexity and
     * reference scores are built from. Call it without gradient; it frees its arrays.
     */
    public static double[][] rowNll(dev.tunelab.model.LlamaModel model, Batch batch) {
        try (ai.djl.ndarray.NDManager m = model.manager().newSubManager()) {
            NDArray logits = batch.logits(model, m);
            NDArray[] perToken = shiftedNll(logits, batch.labels(m));
            float[] sums = perToken[0].mul(perToken[1]).sum(new int[] {1}).toFloatArray();
            float[] counts = perToken[1].sum(new int[] {1}).toFloatArray();
            double[][] out = new double[2][sums.length];
            for (int b = 0; b < sums.length; b++) {
                out[0][b] = sums[b];
                out[1][b] = counts[b];
            }
            return out;
        }
    }

    /**
     * Token-weighted mean NLL over the first {@code batches} batches of a source: the held-out
     * loss, without gradient or dropout (the model's mode is restored).
     */
    public static double heldOut(dev.tunelab.model.LlamaModel model, BatchSource data, int batches) {
        boolean wasTraining = model.isTraining();
        model.train(false);
        try {
            return Autograd.noGrad(() -> {
                double nll = 0;
                double count = 0;
                for (int i = 0; i < batches; i++) {
                    double[][] rows = rowNll(model, data.batch(i));
                    for (int b = 0; b < rows[0].length; b++) {
                        nll += rows[0][b];
                        count += rows[1][b];
                    }
                }
                return nll / Math.max(count, 1);
            });
        } finally {
            model.train(wasTraining);
        }
    }
}
