package dev.tunelab.eval;

import dev.tunelab.LanguageModel;
import dev.tunelab.model.Autograd;
import dev.tunelab.train.Batch;
import dev.tunelab.train.Losses;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Multiple-choice scoring as lm-evaluation-harness does it: each choice is a continuation of the
 * question's context (joined by one space, the harness's target_delimiter), scored by the sum of
 * its tokens' log-probabilities given the context; the prediction is the choice with the largest
 * sum ({@code acc}), or with the largest sum divided by the choice's length ({@code acc_norm}).
 * The continuation's tokens are those of context + continuation after the context's tokens, as
 * the harness's {@code _encode_pair} takes them (so a word split across the join is scored in full).
 * One difference: the context is encoded as the tokenizer's config says ({@code add_bos_token}), as
 * generation and perplexity encode text (the harness adds BOS only when asked).
 *
 * <pre>{@code
 * MultipleChoiceResult r = MultipleChoice.score(lm, MultipleChoice.load(Path.of("datasets/cloze/tinystories-cloze.jsonl")));
 * }</pre>
 */
public final class MultipleChoice {
    /** The harness's default target_delimiter between context and choice. */
    public static final String DELIMITER = " ";

    /** One question: the context, the choices (without the delimiter) and the index of the right one. */
    public record Question(String context, List<String> choices, int gold) {
        public Question {
            choices = List.copyOf(choices);
            if (choices.size() < 2) {
                throw new IllegalArgumentException("a question needs at least two choices, got " + choices.size());
            }
            if (gold < 0 || gold >= choices.size()) {
                throw new IllegalArgumentException("gold " + gold + " is not the index of one of " + choices.size() + " choices");
            }
        }
    }

    private MultipleChoice() {}

    /** Scores every question, 16 sequences per forward pass. */
    public static MultipleChoiceResult score(LanguageModel lm, List<Question> questions) {
        return score(lm, questions, 16);
    }

    public static MultipleChoiceResult score(LanguageModel lm, List<Question> questions, int batchSize) {
        List<long[]> ids = new ArrayList<>();
        List<long[]> labels = new ArrayList<>();
        int maxLength = lm.model().config().maxPositionEmbeddings();
        for (int q = 0; q < questions.size(); q++) {
            Question question = questions.get(q);
            long[] context = lm.tokenizer().encode(question.context());
            for (String choice : question.choices()) {
                long[] whole = lm.tokenizer().encode(question.context() + DELIMITER + choice);
                int split = commonPrefix(context, whole);
                if (split == whole.length) {
                    throw new IllegalArgumentException("question " + q + ": choice '" + choice + "' adds no tokens to the context");
                }
                if (whole.length > maxLength) {
                    throw new IllegalArgumentException("question " + q + ": context + choice is " + whole.length
                            + " tokens, longer than max_position_embeddings " + maxLength);
                }
                long[] label = whole.clone();
                Arrays.fill(label, 0, split, Losses.IGNORE_INDEX);
                ids.add(whole);
                labels.add(label);
            }
        }
        double[] loglik = new double[ids.size()];
        int[] tokens = new int[ids.size()];
        for (int from = 0; from < ids.size(); from += batchSize) {
            int to = Math.min(from + batchSize, ids.size());
            List<long[]> bi = ids.subList(from, to);
            List<long[]> bl = labels.subList(from, to);
            double[][] nll = Autograd.noGrad(() -> Losses.rowNll(lm.model(), Batch.rightPadded(bi, bl, 0)));
            for (int b = 0; b < to - from; b++) {
                loglik[from + b] = -nll[0][b];
                tokens[from + b] = (int) Math.round(nll[1][b]);
            }
        }
        List<MultipleChoiceResult.Scored> scored = new ArrayList<>();
        int at = 0;
        for (Question question : questions) {
            int n = question.choices().size();
            scored.add(MultipleChoiceResult.Scored.of(question, Arrays.copyOfRange(loglik, at, at + n),
                    Arrays.copyOfRange(tokens, at, at + n)));
            at += n;
        }
        return new MultipleChoiceResult(scored);
    }

    /**
     * The tokens context + choice shares with the context alone: the harness encodes the whole and
     * takes what follows the context's length; where the join merged the context's last token
     * into a longer one, that token counts as the choice's (the longest common prefix).
     */
    private static int commonPrefix(long[] context, long[] whole) {
        int n = 0;
        while (n < context.length && n < whole.length && context[n] == whole[n]) {
            n++;
        }
        return n;
    }

    /** Reads a JSONL file of questions in any of the shapes {@link MultipleChoiceFiles} knows. */
    public static List<Question> load(java.nio.file.Path file) {
        return MultipleChoiceFiles.load(file);
    }
}
