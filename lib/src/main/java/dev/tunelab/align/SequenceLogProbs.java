package dev.tunelab.align;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.train.Losses;
import java.util.Arrays;

/**
 * Log-probabilities of completion tokens given their prompts, for a policy (differentiable) or a
 * reference model (no gradient). As TRL's trainers compute them (DPOTrainer.concatenated_forward,
 * selective_log_softmax): logits at position t score the token at t + 1, and only completion
 * tokens count.
 *
 * @param perToken (B, C) log p(completion token j | prompt, earlier completion tokens), 0 past the end
 * @param mask (B, C) 1 for real completion tokens
 * @param sum (B) summed over each completion (DPO, IPO, KTO use this)
 * @param mean (B) averaged over each completion's tokens (ORPO, and IPO as TRL computes it; 0 for an empty completion)
 */
public record SequenceLogProbs(NDArray perToken, NDArray mask, NDArray sum, NDArray mean) {

    /** One forward pass of {@code model} over the batch, recording the graph when grad mode is on. */
    public static SequenceLogProbs compute(LlamaModel model, CompletionBatch batch, NDManager m) {
        NDArray logits = model.forward(batch.inputIds(m), batch.attentionMask(m), null, null);
        return fromLogits(logits, batch, m);
    }

    /** From logits (B, T, vocab) of the batch's input ids: for callers that also need the logits (entropy). */
    public static SequenceLogProbs fromLogits(NDArray logits, CompletionBatch batch, NDManager m) {
        NDArray ids = batch.inputIds(m);
        NDArray allTargets = Losses.nextTokenLogProbs(logits, ids.get(":, 1:")); // (B, T - 1)
        NDArray mask = batch.completionMask(m, logits.getDataType());
        return of(allTargets.gather(batch.predictingPositions(m), 1), mask);
    }

    /** From per-token log-probabilities (B, C) and the completion mask (B, C): masks, sums and averages. */
    public static SequenceLogProbs of(NDArray perToken, NDArray mask) {
        NDArray masked = perToken.mul(mask);
        NDArray sum = masked.sum(new int[] {1});
        NDArray count = mask.sum(new int[] {1}).maximum(Autograd.scalar(mask, 1));
        return new SequenceLogProbs(masked, mask, sum, sum.div(count));
    }

    /** Without gradient and in evaluation mode (no dropout): for a frozen reference model or logging. */
    public static SequenceLogProbs noGrad(LlamaModel model, CompletionBatch batch, NDManager m) {
        boolean wasTraining = model.isTraining();
        model.train(false);
        try {
            return Autograd.noGrad(() -> compute(model, batch, m));
        } finally {
            model.train(wasTraining);
        }
    }

    /**
     * The reference model's log-probabilities when the policy is LoRA adapters on the reference: the
     * same model with its adapters disabled (as TRL does for PEFT policies, {@code null_ref_context}).
     */
    public static SequenceLogProbs reference(PeftModel policy, CompletionBatch batch, NDManager m) {
        return policy.withAdaptersDisabled(() -> noGrad(policy.model(), batch, m));
    }

    /**
     * The negative log-likelihood per completion token over the whole batch (every token weighs
     * the same): the cross entropy over the completions' labels that TRL's ORPO and CPO trainers add.
     */
    public NDArray tokenMeanNll() {
        return perToken.sum().neg().div(mask.sum().maximum(Autograd.scalar(mask, 1)));
    }

    /** Rows {@code from} (inclusive) to {@code to} (exclusive) of every array: one half of a concatenated batch. */
    public SequenceLogProbs rows(int from, int to) {
        String range = from + ":" + to;
        return new SequenceLogProbs(perToken.get(range), mask.get(range), sum.get(range), mean.get(range));
    }

    /** Each row's per-token values as Java arrays, cut to the completion's own length. */
    public float[][] perTokenRows() {
        int rows = (int) perToken.getShape().get(0);
        int cols = (int) perToken.getShape().get(1);
        float[] values = perToken.toType(DataType.FLOAT32, false).toFloatArray();
        float[] m = mask.toType(DataType.FLOAT32, false).toFloatArray();
        float[][] out = new float[rows][];
        for (int b = 0; b < rows; b++) {
            int n = 0;
            while (n < cols && m[b * cols + n] > 0) {
                n++;
            }
            out[b] = Arrays.copyOfRange(values, b * cols, b * cols + n);
        }
        return out;
    }
}
