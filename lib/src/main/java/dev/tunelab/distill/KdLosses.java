package dev.tunelab.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.model.Autograd;
import dev.tunelab.train.Losses;

/**
 * Token-level distillation losses between a student's and a teacher's next-token distributions
 * (same vocabulary). Every loss is the weighted mean over positions: {@code weights} (B, T) is 1
 * where a position counts and 0 elsewhere ({@link #shiftedWeights} builds it from causal-LM
 * labels). Logits are (B, T, V); the teacher's carry no gradient.
 *
 * <ul>
 *   <li>{@link #forwardKl}: KL(p_teacher || p_student) at temperature T, times T^2 (Hinton et al.
 *       2015, "Distilling the Knowledge in a Neural Network": the T^2 keeps the gradient's scale
 *       as T changes). Mass-covering: the student is pushed to put mass wherever the teacher does.
 *   <li>{@link #reverseKl}: KL(p_student || p_teacher), also times T^2: mode-seeking, the student
 *       may drop teacher modes it cannot fit (Gu et al. 2024, MiniLLM; GKD's beta = 1 end,
 *       Agarwal et al. 2024). This is the token-level form, not MiniLLM's sequence-level policy gradient.
 *   <li>{@link #forwardKlTopK}: forward KL against a teacher stored as its top-k tokens
 *       (renormalized log-probabilities, see {@link TeacherLogitCache}); exact when k = V.
 * </ul>
 */
public final class KdLosses {
    private KdLosses() {}

    /** KL(softmax(t/T) || softmax(s/T)) * T^2, weighted mean over positions. */
    public static NDArray forwardKl(NDArray studentLogits, NDArray teacherLogits, NDArray weights, double temperature) {
        NDArray logQ = scaled(studentLogits, temperature).logSoftmax(-1);
        NDArray logP = scaled(teacherLogits, temperature).logSoftmax(-1);
        NDArray perPosition = logP.exp().mul(logP.sub(logQ)).sum(new int[] {-1});
        return weightedMean(perPosition, weights).mul(Autograd.scalar(perPosition, temperature * temperature));
    }

    /** KL(softmax(s/T) || softmax(t/T)) * T^2, weighted mean over positions. */
    public static NDArray reverseKl(NDArray studentLogits, NDArray teacherLogits, NDArray weights, double temperature) {
        NDArray logQ = scaled(studentLogits, temperature).logSoftmax(-1);
        NDArray logP = scaled(teacherLogits, temperature).logSoftmax(-1);
        NDArray perPosition = logQ.exp().mul(logQ.sub(logP)).sum(new int[] {-1});
        return weightedMean(perPosition, weights).mul(Autograd.scalar(perPosition, temperature * temperature));
    }

    /**
     * Forward KL against a top-k teacher: sum over the k stored tokens of
     * p(k) * (log p(k) - log q(k)) at temperature T, times T^2, where log q is the student's
     * log-softmax over the whole vocabulary at those tokens and p the teacher's stored,
     * renormalized distribution (it must have been stored at the same temperature).
     *
     * @param teacherIndices (B, T, k) token ids
     * @param teacherLogProbs (B, T, k) log-probabilities over the k tokens (they sum to 1 in probability)
     */
    public static NDArray forwardKlTopK(NDArray studentLogits, NDArray teacherIndices, NDArray teacherLogProbs,
            NDArray weights, double temperature) {
        NDArray logQ = scaled(studentLogits, temperature).logSoftmax(-1).gather(teacherIndices.toType(DataType.INT64, false), -1);
        NDArray perPosition = teacherLogProbs.exp().mul(teacherLogProbs.sub(logQ)).sum(new int[] {-1});
        return weightedMean(perPosition, weights).mul(Autograd.scalar(perPosition, temperature * temperature));
    }

    /** Hinton et al. 2015's mix: alpha * kd + (1 - alpha) * hard-label loss ({@link Losses#causalLm}). */
    public static NDArray mix(NDArray kd, NDArray hard, double alpha) {
        if (alpha < 0 || alpha > 1) throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        return kd.mul(Autograd.scalar(kd, alpha)).add(hard.mul(Autograd.scalar(hard, 1 - alpha)));
    }

    /**
     * The weights of the positions that predict a label, (B, T - 1), for logits cut to
     * {@code logits.get(":, :-1, :")}: 1 where {@code labels[:, 1:]} is not
     * {@link Losses#IGNORE_INDEX}, as {@link Losses#shiftedNll} counts them.
     */
    public static NDArray shiftedWeights(NDArray labels, DataType dtype) {
        return labels.get(":, 1:").neq(Losses.IGNORE_INDEX).toType(dtype, false);
    }

    private static NDArray scaled(NDArray logits, double temperature) {
        if (temperature <= 0) throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        return temperature == 1 ? logits : logits.div(Autograd.scalar(logits, temperature));
    }

    private static NDArray weightedMean(NDArray perPosition, NDArray weights) {
        NDArray w = weights.toType(perPosition.getDataType(), false);
        return perPosition.mul(w).sum().div(w.sum().maximum(Autograd.scalar(w, 1)));
    }
}
