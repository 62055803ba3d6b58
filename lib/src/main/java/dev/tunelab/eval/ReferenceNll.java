package dev.tunelab.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tunelab.LanguageModel;
import dev.tunelab.model.Autograd;
import dev.tunelab.train.Batch;
import dev.tunelab.train.Losses;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Negative log-likelihood of each reference answer given its prompt: the prompt (with the
 * tokenizer's special tokens) is context only, the reference tokens are scored, as in SFT's
 * completion-only loss. {@link dev.tunelab.train.Perplexity} scores whole texts; this scores the
 * answer a fine-tuned model is meant to give.
 */
final class ReferenceNll {
    /** Summed NLL (nats) and number of scored tokens of one example. */
    record Score(double nllSum, int tokens) {}

    private ReferenceNll() {}

    static List<Score> of(LanguageModel lm, List<String> prompts, List<String> references, int batchSize) {
        int maxLength = lm.model().config().maxPositionEmbeddings();
        List<long[]> ids = new ArrayList<>();
        List<long[]> labels = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            long[] prompt = lm.tokenizer().encode(prompts.get(i));
            long[] answer = lm.tokenizer().encode(references.get(i), false);
            long[] all = new long[prompt.length + answer.length];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(answer, 0, all, prompt.length, answer.length);
            if (all.length > maxLength) {
                throw new IllegalArgumentException("example " + i + ": prompt + reference is " + all.length
                        + " tokens, longer than the model's max_position_embeddings " + maxLength);
            }
            long[] label = all.clone();
            Arrays.fill(label, 0, prompt.length, Losses.IGNORE_INDEX);
            ids.add(all);
            labels.add(label);
        }
        List<Score> out = new ArrayList<>();
        for (int from = 0; from < ids.size(); from += batchSize) {
            List<long[]> batchIds = ids.subList(from, Math.min(from + batchSize, ids.size()));
            List<long[]> batchLabels = labels.subList(from, from + batchIds.size());
            out.addAll(Autograd.noGrad(() -> batch(lm, batchIds, batchLabels)));
        }
        return out;
    }

    private static List<Score> batch(LanguageModel lm, List<long[]> ids, List<long[]> labels) {
        double[][] nll = Losses.rowNll(lm.model(), Batch.rightPadded(ids, labels, 0));
        List<Score> out = new ArrayList<>();
        for (int b = 0; b < nll[0].length; b++) {
            out.add(new Score(nll[0][b], (int) Math.round(nll[1][b])));
        }
        return out;
    }
}
