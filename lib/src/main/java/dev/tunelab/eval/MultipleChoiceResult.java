package dev.tunelab.eval;

import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Multiple-choice scores: per question the log-likelihood of each choice and the two predictions;
 * overall {@code acc} and {@code acc_norm} as lm-evaluation-harness reports them.
 */
public record MultipleChoiceResult(List<Scored> questions) implements Renderable {

    /**
     * One scored question.
     *
     * @param loglik summed log-probability (nats) of each choice's tokens given the context
     * @param tokens how many tokens each choice was scored on
     * @param predicted the choice with the largest loglik ({@code acc})
     * @param predictedNorm the choice with the largest loglik / length ({@code acc_norm})
     */
    public record Scored(MultipleChoice.Question question, double[] loglik, int[] tokens, int predicted, int predictedNorm) {
        static Scored of(MultipleChoice.Question q, double[] loglik, int[] tokens) {
            int best = 0;
            int bestNorm = 0;
            for (int i = 1; i < loglik.length; i++) {
                if (loglik[i] > loglik[best]) {
                    best = i;
                }
                if (loglik[i] / length(q.choices().get(i)) > loglik[bestNorm] / length(q.choices().get(bestNorm))) {
                    bestNorm = i;
                }
            }
            return new Scored(q, loglik.clone(), tokens.clone(), best, bestNorm);
        }

        public boolean correct() {
            return predicted == question.gold();
        }

        public boolean correctNorm() {
            return predictedNorm == question.gold();
        }
    }

    public MultipleChoiceResult {
        questions = List.copyOf(questions);
    }

    /**
     * The length acc_norm divides by: lm-evaluation-harness's {@code len(choice)} (its
     * {@code process_results}: {@code completion_len = np.array([float(len(i)) for i in choices])}),
     * Python's length of the choice string without the delimiter, in code points. The harness's
     * documentation calls it the byte length; the two agree on ASCII text, as the TinyStories cloze is.
     */
    static double length(String choice) {
        return choice.codePointCount(0, choice.length());
    }

    /** Fraction of questions whose largest-loglik choice is the right one. */
    public double acc() {
        return questions.stream().filter(Scored::correct).count() / (double) questions.size();
    }

    /** Fraction whose largest length-normalised loglik is the right one. */
    public double accNorm() {
        return questions.stream().filter(Scored::correctNorm).count() / (double) questions.size();
    }

    /** Standard error of a mean of 0/1 outcomes, sqrt(p(1-p)/(n-1)) as the harness reports ({@code mean_stderr}). */
    public static double stderr(double p, int n) {
        return n > 1 ? Math.sqrt(p * (1 - p) / (n - 1)) : Double.NaN;
    }

    /** One row: questions, acc, acc_norm and their standard errors. */
    public Table table() {
        int n = questions.size();
        return Table.create("multiple choice", IntColumn.create("questions", n),
                DoubleColumn.create("acc", acc()), DoubleColumn.create("acc stderr", stderr(acc(), n)),
                DoubleColumn.create("acc_norm", accNorm()), DoubleColumn.create("acc_norm stderr", stderr(accNorm(), n)));
    }

    /** One row per question: context, gold, the two predictions and the choices' log-likelihoods. */
    public Table details() {
        StringColumn context = StringColumn.create("context");
        StringColumn gold = StringColumn.create("gold choice");
        IntColumn goldIndex = IntColumn.create("gold");
        IntColumn pred = IntColumn.create("acc pick");
        IntColumn predNorm = IntColumn.create("acc_norm pick");
        StringColumn lls = StringColumn.create("loglik per choice");
        for (Scored s : questions) {
            context.append(s.question().context());
            gold.append(s.question().choices().get(s.question().gold()));
            goldIndex.append(s.question().gold());
            pred.append(s.predicted());
            predNorm.append(s.predictedNorm());
            StringBuilder b = new StringBuilder();
            for (double v : s.loglik()) {
                b.append(b.length() == 0 ? "" : ", ").append(String.format("%.2f", v));
            }
            lls.append(b.toString());
        }
        return Table.create("multiple choice: questions", context, gold, goldIndex, pred, predNorm, lls);
    }

    @Override
    public Map<String, String> mimeBundle() {
        return Tables.mimeBundle(table(), Tables.DEFAULT_MAX_ROWS);
    }

    @Override
    public String toString() {
        return String.format("MultipleChoiceResult(n=%d, acc=%.4f, acc_norm=%.4f)", questions.size(), acc(), accNorm());
    }
}
