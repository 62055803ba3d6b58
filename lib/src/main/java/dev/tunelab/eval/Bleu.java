package dev.tunelab.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * BLEU (Papineni et al. 2002) computed as sacreBLEU 2.x computes it (Post 2018;
 * sacrebleu {@code metrics/bleu.py}): 13a tokenization, n-grams up to 4 clipped by the maximum
 * count over the references, the brevity penalty against the closest reference length (the
 * shorter one on a tie), and the smoothing methods of Chen &amp; Cherry (2014). The defaults are
 * sacreBLEU's: {@code corpus_bleu} uses "exp" smoothing and all four orders;
 * {@code sentence_bleu} additionally uses the effective order (orders with no n-grams in the
 * hypothesis are left out). Scores are on sacreBLEU's 0..100 scale.
 *
 * <pre>{@code
 * BleuScore s = Bleu.corpus(hypotheses, referencesPerHypothesis);   // s.score() == sacrebleu.corpus_bleu(...).score
 * double b = Bleu.sentence("the cat sat", List.of("the cat sat down")).score();
 * }</pre>
 */
public record Bleu(Smoothing smoothing, double smoothValue, boolean lowercase, boolean tokenize, boolean effectiveOrder,
        int maxOrder) {
    /** sacreBLEU's default maximum n-gram order. */
    public static final int MAX_ORDER = 4;
    // sacreBLEU's my_log(0): a zero precision drives the geometric mean to 0 without -Infinity.
    private static final double LOG_ZERO = -9999999999.0;

    public Bleu {
        if (maxOrder < 1) {
            throw new IllegalArgumentException("maxOrder must be at least 1, got " + maxOrder);
        }
        if (smoothing == null) {
            throw new IllegalArgumentException("smoothing must not be null");
        }
    }

    /** sacreBLEU's smoothing methods (Chen &amp; Cherry 2014): none, floor (method 1), add-k (2), exp (3, NIST). */
    public enum Smoothing {
        NONE(0), FLOOR(0.1), ADD_K(1), EXP(0);

        /** sacreBLEU's SMOOTH_DEFAULTS. */
        final double defaultValue;

        Smoothing(double defaultValue) {
            this.defaultValue = defaultValue;
        }
    }

    /** sacreBLEU's {@code corpus_bleu} defaults: exp smoothing, 13a, case-sensitive, all four orders. */
    public static Bleu corpusDefaults() {
        return new Bleu(Smoothing.EXP, 0, false, true, false, MAX_ORDER);
    }

    /** sacreBLEU's {@code sentence_bleu} defaults: as for the corpus, with the effective order. */
    public static Bleu sentenceDefaults() {
        return new Bleu(Smoothing.EXP, 0, false, true, true, MAX_ORDER);
    }

    /** Corpus BLEU with sacreBLEU's defaults; {@code references.get(i)} are the references of hypothesis i. */
    public static BleuScore corpus(List<String> hypotheses, List<List<String>> references) {
        return corpusDefaults().corpusScore(hypotheses, references);
    }

    /** Sentence BLEU with sacreBLEU's defaults. */
    public static BleuScore sentence(String hypothesis, List<String> references) {
        return sentenceDefaults().sentenceScore(hypothesis, references);
    }

    public Bleu smoothing(Smoothing method, double value) {
        return new Bleu(method, value, lowercase, tokenize, effectiveOrder, maxOrder);
    }

    /** Smoothing with sacreBLEU's default value for the method (0.1 for floor, 1 for add-k). */
    public Bleu smoothing(Smoothing method) {
        return smoothing(method, method.defaultValue);
    }

    public Bleu lowercase(boolean on) {
        return new Bleu(smoothing, smoothValue, on, tokenize, effectiveOrder, maxOrder);
    }

    /** Off means sacreBLEU's {@code tokenize='none'}: the text is only split on whitespace. */
    public Bleu tokenize(boolean on) {
        return new Bleu(smoothing, smoothValue, lowercase, on, effectiveOrder, maxOrder);
    }

    public Bleu effectiveOrder(boolean on) {
        return new Bleu(smoothing, smoothValue, lowercase, tokenize, on, maxOrder);
    }

    /** n-grams up to this order (sacreBLEU's {@code max_ngram_order}, default 4). */
    public Bleu maxOrder(int n) {
        return new Bleu(smoothing, smoothValue, lowercase, tokenize, effectiveOrder, n);
    }

    public BleuScore corpusScore(List<String> hypotheses, List<List<String>> references) {
        if (hypotheses.size() != references.size()) {
            throw new IllegalArgumentException(hypotheses.size() + " hypotheses but " + references.size()
                    + " reference lists: each hypothesis needs its own list of references");
        }
        Statistics total = new Statistics(maxOrder);
        for (int i = 0; i < hypotheses.size(); i++) {
            total.add(statistics(hypotheses.get(i), references.get(i), i));
        }
        return score(total);
    }

    public BleuScore sentenceScore(String hypothesis, List<String> references) {
        return score(statistics(hypothesis, references, 0));
    }

    /** Matched and total n-gram counts and lengths of one hypothesis: BLEU's sufficient statistics. */
    Statistics statistics(String hypothesis, List<String> references, int index) {
        if (hypothesis == null) {
            throw new IllegalArgumentException("hypothesis " + index + " is null");
        }
        if (references == null || references.isEmpty()) {
            throw new IllegalArgumentException("hypothesis " + index + " has no reference");
        }
        Map<List<String>, Integer> maxRefCounts = new HashMap<>();
        int[] refLengths = new int[references.size()];
        for (int r = 0; r < references.size(); r++) {
            if (references.get(r) == null) {
                throw new IllegalArgumentException("reference " + r + " of hypothesis " + index + " is null");
            }
            List<String> tokens = tokens(references.get(r));
            refLengths[r] = tokens.size();
            NGrams.counts(tokens, 1, maxOrder).forEach((g, c) -> maxRefCounts.merge(g, c, Math::max));
        }
        return statistics(tokens(hypothesis), maxRefCounts::get, refLengths, maxOrder);
    }

    /**
     * The statistics from already tokenized text: {@code maxRefCount} gives an n-gram's largest
     * count in any reference (null if none has it).
     */
    static Statistics statistics(List<String> hypothesis, Function<List<String>, Integer> maxRefCount, int[] refLengths,
            int maxOrder) {
        Statistics s = new Statistics(maxOrder);
        s.hypLength = hypothesis.size();
        s.refLength = closestReferenceLength(hypothesis.size(), refLengths);
        NGrams.counts(hypothesis, 1, maxOrder).forEach((gram, count) -> {
            int n = gram.size() - 1;
            Integer ref = maxRefCount.apply(gram);
            s.totals[n] += count;
            s.correct[n] += ref == null ? 0 : Math.min(count, ref);
        });
        return s;
    }

    /** The tokens BLEU compares, after optional lower-casing and 13a tokenization. */
    List<String> tokens(String segment) {
        String text = lowercase ? segment.toLowerCase(Locale.ROOT) : segment;
        return tokenize ? Tokenizer13a.tokenize(text) : Text.split(text);
    }

    /** The reference length closest to the hypothesis length; on a tie the shorter reference. */
    static int closestReferenceLength(int hypLength, int[] refLengths) {
        int best = refLengths[0];
        for (int len : refLengths) {
            int diff = Math.abs(hypLength - len);
            int bestDiff = Math.abs(hypLength - best);
            if (diff < bestDiff || (diff == bestDiff && len < best)) {
                best = len;
            }
        }
        return best;
    }

    /** sacreBLEU's compute_bleu: smoothed modified precisions, geometric mean, brevity penalty. */
    BleuScore score(Statistics s) {
        double value = smoothValue;
        double bp = s.hypLength < s.refLength
                ? (s.hypLength > 0 ? Math.exp(1 - (double) s.refLength / s.hypLength) : 0) : 1;
        int orders = s.correct.length;
        double[] correct = new double[orders];
        double[] totals = new double[orders];
        for (int n = 0; n < orders; n++) {
            correct[n] = s.correct[n];
            totals[n] = s.totals[n];
        }
        double[] precisions = new double[orders];
        boolean anyMatch = false;
        for (long c : s.correct) {
            anyMatch |= c > 0;
        }
        if (!anyMatch) {
            return new BleuScore(0, s.correct.clone(), s.totals.clone(), precisions, bp, s.hypLength, s.refLength);
        }
        double expSmoothing = 1;
        int order = orders;
        for (int n = 0; n < orders; n++) {
            if (smoothing == Smoothing.ADD_K && n > 0) {
                correct[n] += value;
                totals[n] += value;
            }
            if (totals[n] == 0) {
                break;
            }
            if (effectiveOrder) {
                order = n + 1;
            }
            if (correct[n] == 0) {
                if (smoothing == Smoothing.EXP) {
                    expSmoothing *= 2;
                    precisions[n] = 100 / (expSmoothing * totals[n]);
                } else if (smoothing == Smoothing.FLOOR) {
                    precisions[n] = 100 * value / totals[n];
                }
            } else {
                precisions[n] = 100 * correct[n] / totals[n];
            }
        }
        double logSum = 0;
        for (int n = 0; n < order; n++) {
            logSum += precisions[n] > 0 ? Math.log(precisions[n]) : LOG_ZERO;
        }
        double score = bp * Math.exp(logSum / order);
        return new BleuScore(score, s.correct.clone(), s.totals.clone(), precisions, bp, s.hypLength, s.refLength);
    }

    /** Sums of matched and total n-grams per order, and of hypothesis and closest reference lengths. */
    static final class Statistics {
        final long[] correct;
        final long[] totals;
        long hypLength;
        long refLength;

        Statistics(int maxOrder) {
            correct = new long[maxOrder];
            totals = new long[maxOrder];
        }

        void add(Statistics o) {
            for (int n = 0; n < correct.length; n++) {
                correct[n] += o.correct[n];
                totals[n] += o.totals[n];
            }
            hypLength += o.hypLength;
            refLength += o.refLength;
        }
    }
}
