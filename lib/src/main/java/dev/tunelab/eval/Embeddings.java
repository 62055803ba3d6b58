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
 * Text embeddings from a decoder's final hidden states, mean-pooled over the real tokens (the
 * pooling of sentence-transformers' "mean" mode), and the cosine similarity between them: a cheap
 * semantic-closeness score for a generation against its reference.
 */
public final class Embeddings {
    public static final int DEFAULT_BATCH = 8;

    private Embeddings() {}

    /** One vector (hidden size) per text, each text tokenized with the tokenizer's special tokens. */
    public static float[][] meanPooled(LanguageModel lm, List<String> texts) {
        List<long[]> ids = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new IllegalArgumentException("texts[" + i + "] is null");
            }
            ids.add(lm.tokenizer().encode(texts.get(i)));
        }
        return meanPooled(lm.model(), ids, DEFAULT_BATCH);
    }

    /** Mean of the final hidden states over each sequence's tokens; sequences are right-padded in batches. */
    public static float[][] meanPooled(LlamaModel model, List<long[]> sequences, int batchSize) {
        Batch.requireTokens(sequences);
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        float[][] out = new float[sequences.size()][];
        for (int from = 0; from < sequences.size(); from += batchSize) {
            List<long[]> chunk = sequences.subList(from, Math.min(from + batchSize, sequences.size()));
            float[][] pooled = Autograd.noGrad(() -> pool(model, Batch.rightPadded(chunk, null, 0)));
            System.arraycopy(pooled, 0, out, from, pooled.length);
        }
        return out;
    }

    private static float[][] pool(LlamaModel model, Batch batch) {
        try (NDManager m = model.manager().newSubManager()) {
            NDArray mask = batch.attentionMask(m);
            NDArray hidden = model.hidden(batch.inputIds(m), mask, null, null).toType(DataType.FLOAT32, false); // (B, T, H)
            NDArray weights = mask.toType(DataType.FLOAT32, false).expandDims(-1); // (B, T, 1)
            NDArray mean = hidden.mul(weights).sum(new int[] {1}).div(weights.sum(new int[] {1})); // (B, H)
            int rows = (int) mean.getShape().get(0);
            int h = (int) mean.getShape().get(1);
            float[] flat = mean.toFloatArray();
            float[][] out = new float[rows][h];
            for (int b = 0; b < rows; b++) {
                System.arraycopy(flat, b * h, out[b], 0, h);
            }
            return out;
        }
    }

    /** cos(a, b) = a.b / (|a| |b|); 0 when either vector is zero. */
    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("vectors of different sizes: " + a.length + " and " + b.length);
        }
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }

    /** Cosine similarity of each pair (a[i], b[i]) of texts under {@code lm}'s mean-pooled embeddings. */
    public static double[] similarity(LanguageModel lm, List<String> a, List<String> b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException("parallel lists needed: " + a.size() + " and " + b.size() + " texts");
        }
        float[][] ea = meanPooled(lm, a);
        float[][] eb = meanPooled(lm, b);
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = cosine(ea[i], eb[i]);
        }
        return out;
    }
}
