package dev.tunelab.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.LanguageModel;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.train.Batch;
import java.util.ArrayList;
import java.util.List;

/**
 * How far a model's next-token distributions have moved from a reference model's on a set of
 * texts: KL(P || Q) = sum_v P(v) (log P(v) - log Q(v)), with P the model and Q the reference, at
 * every token position of every text, averaged over positions. This is the per-token KL that
 * RLHF penalises (Ouyang et al. 2022) and that tells how much fine-tuning changed the base model.
 */
public final class NextTokenKl {
    public static final int DEFAULT_BATCH = 8;

    private NextTokenKl() {}

    /** KL of {@code model} from {@code reference} on {@code texts}, tokenized with the model's tokenizer. */
    public static KlResult of(LanguageModel model, LanguageModel reference, List<String> texts) {
        List<long[]> ids = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new IllegalArgumentException("texts[" + i + "] is null");
            }
            ids.add(model.tokenizer().encode(texts.get(i)));
        }
        return ofSequences(model.model(), reference.model(), ids, DEFAULT_BATCH);
    }

    public static KlResult ofSequences(LlamaModel model, LlamaModel reference, List<long[]> sequences, int batchSize) {
        if (model.config().vocabSize() != reference.config().vocabSize()) {
            throw new IllegalArgumentException("the models have different vocabularies (" + model.config().vocabSize()
                    + " and " + reference.config().vocabSize() + " tokens): KL needs the same next-token space");
        }
        Batch.requireTokens(sequences);
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        double sum = 0;
        double max = 0;
        long positions = 0;
        for (int from = 0; from < sequences.size(); from += batchSize) {
            Batch batch = Batch.rightPadded(sequences.subList(from, Math.min(from + batchSize, sequences.size())), null, 0);
            float[] perPosition = Autograd.noGrad(() -> klPerPosition(model, reference, batch));
            for (int b = 0; b < batch.attentionMask().length; b++) {
                for (int t = 0; t < batch.attentionMask()[b].length; t++) {
                    if (batch.attentionMask()[b][t] == 1) {
                        double kl = perPosition[b * batch.attentionMask()[b].length + t];
                        sum += kl;
                        max = Math.max(max, kl);
                        positions++;
                    }
                }
            }
        }
        return new KlResult(sum / positions, max, positions);
    }

    /** KL at every (row, position) of the batch, flattened; padded positions hold garbage and are skipped. */
    private static float[] klPerPosition(LlamaModel model, LlamaModel reference, Batch batch) {
        // Results follow the input's manager (DJL ops attach to their first operand), so both passes free with m.
        try (NDManager m = model.manager().newSubManager()) {
            NDArray ids = batch.inputIds(m);
            NDArray mask = batch.attentionMask(m);
            NDArray logP = model.forward(ids, mask, null, null).toType(DataType.FLOAT32, false).logSoftmax(-1);
            NDArray logQ = reference.forward(ids, mask, null, null).toType(DataType.FLOAT32, false).logSoftmax(-1);
            return logP.exp().mul(logP.sub(logQ)).sum(new int[] {-1}).toFloatArray();
        }
    }
}
