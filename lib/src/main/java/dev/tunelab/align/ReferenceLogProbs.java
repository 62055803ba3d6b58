package dev.tunelab.align;

import ai.djl.ndarray.NDManager;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.PeftModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference model's log-probabilities of every pair of a data set, computed once before
 * training (TRL's {@code precompute_ref_log_probs}): the reference never changes, so each training
 * step then needs only the policy's forward pass. Summed and mean per completion, and for KTO
 * those of the mismatched pairs (prompt i, completion of pair i + 1) its KL estimate reads.
 */
public record ReferenceLogProbs(float[] chosenSum, float[] chosenMean, float[] rejectedSum, float[] rejectedMean,
        float[] klChosen, float[] klRejected) {

    /** One no-grad pass of the policy with its adapters disabled over every pair, {@code batchSize} pairs at a time. */
    public static ReferenceLogProbs compute(PeftModel policy, List<PreferencePair> pairs, int batchSize, boolean withKl) {
        int n = pairs.size();
        float[][] out = new float[6][n];
        for (int from = 0; from < n; from += batchSize) {
            int to = Math.min(from + batchSize, n);
            List<long[]> prompts = new ArrayList<>();
            List<long[]> completions = new ArrayList<>();
            for (int i = from; i < to; i++) {
                prompts.add(pairs.get(i).prompt());
                completions.add(pairs.get(i).chosen());
            }
            for (int i = from; i < to; i++) {
                prompts.add(pairs.get(i).prompt());
                completions.add(pairs.get(i).rejected());
            }
            if (withKl) {
                for (int i = from; i < to; i++) {
                    prompts.add(pairs.get(i).prompt());
                    completions.add(mismatched(pairs, i).chosen());
                }
                for (int i = from; i < to; i++) {
                    prompts.add(pairs.get(i).prompt());
                    completions.add(mismatched(pairs, i).rejected());
                }
            }
            LlamaModel model = policy.model();
            try (NDManager m = model.manager().newSubManager()) {
                SequenceLogProbs lp = SequenceLogProbs.reference(policy, CompletionBatch.of(prompts, completions), m);
                float[] sums = LogSpace.values(lp.sum());
                float[] means = LogSpace.values(lp.mean());
                int b = to - from;
                System.arraycopy(sums, 0, out[0], from, b);
                System.arraycopy(means, 0, out[1], from, b);
                System.arraycopy(sums, b, out[2], from, b);
                System.arraycopy(means, b, out[3], from, b);
                if (withKl) {
                    System.arraycopy(sums, 2 * b, out[4], from, b);
                    System.arraycopy(sums, 3 * b, out[5], from, b);
                }
            }
        }
        return new ReferenceLogProbs(out[0], out[1], out[2], out[3], out[4], out[5]);
    }

    /** The pair whose completions stand in for "any completion" of pair i's prompt (KTO's KL term). */
    static PreferencePair mismatched(List<PreferencePair> pairs, int i) {
        return pairs.get((i + 1) % pairs.size());
    }

    /** Values at the given pair indices. */
    static float[] pick(float[] values, int[] rows) {
        float[] out = new float[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = values[rows[i]];
        }
        return out;
    }
}
