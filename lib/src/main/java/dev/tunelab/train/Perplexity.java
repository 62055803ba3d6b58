package dev.tunelab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Perplexity of a model on text, with the sliding window of Hugging Face's perplexity guide
 * (https://huggingface.co/docs/transformers/perplexity): a text longer than the window is read
 * in windows that start {@code stride} tokens apart. Within a window only the tokens no earlier
 * window predicted are scored; the overlap in front of them is context (label -100). So with
 * {@code stride < window} every token after the first is predicted exactly once, each with at
 * least {@code window - stride} tokens of context; with {@code stride == window} the windows do
 * not overlap and the first token of each window, having no context, is not scored.
 *
 * <p>The result is the token-weighted mean NLL over all texts and its exponential.
 */
public final class Perplexity {
    private Perplexity() {}

    /** One model input: a slice of a token sequence and its labels (-100 on context-only tokens). */
    record Window(long[] ids, long[] labels) {}

    /** Perplexity over {@code texts}, each tokenized on its own with the tokenizer's special tokens. */
    public static PerplexityResult of(LlamaModel model, Tokenizer tokenizer, List<String> texts, int window, int stride) {
        List<long[]> sequences = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new IllegalArgumentException("texts[" + i + "] is null");
            }
            sequences.add(tokenizer.encode(texts.get(i), true));
        }
        return ofSequences(model, sequences, window, stride, 8);
    }

    /** Perplexity of one long token sequence. */
    public static PerplexityResult ofTokens(LlamaModel model, long[] tokens, int window, int stride) {
        return ofSequences(model, List.of(tokens), window, stride, 8);
    }

    /**
     * Perplexity over several token sequences; windows from all of them are run
     * {@code batchSize} at a time, right-padded.
     */
    public static PerplexityResult ofSequences(LlamaModel model, List<long[]> sequences, int window, int stride,
            int batchSize) {
        if (window > model.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("window " + window + " is longer than the model's max_position_embeddings "
                    + model.config().maxPositionEmbeddings());
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        List<Window> windows = new ArrayList<>();
        for (long[] tokens : sequences) {
            windows.addAll(windows(tokens, window, stride));
        }
        double nllSum = 0;
        long count = 0;
        for (int from = 0; from < windows.size(); from += batchSize) {
            Batch batch = pad(windows.subList(from, Math.min(from + batchSize, windows.size())));
            count += batch.lossTokens();
            nllSum += Autograd.noGrad(() -> summedNll(model, batch));
        }
        if (count == 0) {
            throw new IllegalArgumentException("nothing to score: every sequence has fewer than 2 tokens");
        }
        double nll = nllSum / count;
        return new PerplexityResult(nll, Math.exp(nll), count);
    }

    /**
     * The windows of one sequence, as in the guide's loop: window k covers
     * [k * stride, min(k * stride + window, n)), and its last (end - previous end) tokens are scored.
     */
    static List<Window> windows(long[] tokens, int window, int stride) {
        if (window < 2) {
            throw new IllegalArgumentException("window must be at least 2 tokens, got " + window);
        }
        if (stride < 1 || stride > window) {
            throw new IllegalArgumentException("stride must be in 1.." + window + " (the window), got " + stride);
        }
        List<Window> out = new ArrayList<>();
        int n = tokens.length;
        int previousEnd = 0;
        for (int begin = 0; begin < n; begin += stride) {
            int end = Math.min(begin + window, n);
            int scored = end - previousEnd;
            long[] ids = Arrays.copyOfRange(tokens, begin, end);
            long[] labels = ids.clone();
            Arrays.fill(labels, 0, ids.length - scored, Losses.IGNORE_INDEX);
            out.add(new Window(ids, labels));
            previousEnd = end;
            if (end == n) {
                break;
            }
        }
        return out;
    }

    private static Batch pad(List<Window> windows) {
        return Batch.rightPadded(windows.stream().map(Window::ids).toList(), windows.stream().map(Window::labels).toList(), 0);
    }

    private static double summedNll(LlamaModel model, Batch batch) {
        double sum = 0;
        for (double rowSum : Losses.rowNll(model, batch)[0]) {
            sum += rowSum;
        }
        return sum;
    }
}
