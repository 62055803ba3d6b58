package dev.tunelab.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How often system A beats system B under a judge (a person, a reward model, an LLM, a rule),
 * with a percentile bootstrap confidence interval (Efron &amp; Tibshirani 1993): the verdicts are
 * resampled with replacement, the win rate recomputed each time, and the interval read off the
 * resampled rates as numpy's default (linear) percentile does. A tie counts as half a win, as in
 * AlpacaEval. The seed makes the interval reproducible.
 *
 * <pre>{@code
 * WinRateResult r = WinRate.of(prompts, tuned, base, (p, a, b) -> a.length() > b.length() ? Verdict.A : Verdict.B);
 * }</pre>
 */
public final class WinRate {
    public static final int DEFAULT_RESAMPLES = 1000;
    public static final double DEFAULT_CONFIDENCE = 0.95;

    /** The judge's decision on one prompt. */
    public enum Verdict { A, B, TIE }

    /** Decides which of two outputs for a prompt is better. */
    @FunctionalInterface
    public interface Judge {
        Verdict judge(String prompt, String outputA, String outputB);
    }

    private WinRate() {}

    /** Win rate of A over B with a 95% interval from 1,000 resamples, seed 0. */
    public static WinRateResult of(List<String> prompts, List<String> outputsA, List<String> outputsB, Judge judge) {
        return of(prompts, outputsA, outputsB, judge, DEFAULT_RESAMPLES, DEFAULT_CONFIDENCE, 0);
    }

    public static WinRateResult of(List<String> prompts, List<String> outputsA, List<String> outputsB, Judge judge,
            int resamples, double confidence, long seed) {
        if (prompts.size() != outputsA.size() || prompts.size() != outputsB.size()) {
            throw new IllegalArgumentException("prompts, outputs A and outputs B must be parallel lists; sizes "
                    + prompts.size() + ", " + outputsA.size() + ", " + outputsB.size());
        }
        List<Verdict> verdicts = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            Verdict v = judge.judge(prompts.get(i), outputsA.get(i), outputsB.get(i));
            if (v == null) {
                throw new IllegalStateException("the judge returned null for example " + i);
            }
            verdicts.add(v);
        }
        return fromVerdicts(verdicts, resamples, confidence, seed);
    }

    /**
     * As {@link #of}, but each pair is judged twice, A first and B first, to cancel a judge's
     * preference for a position (Zheng et al. 2023, "Judging LLM-as-a-judge"): a side wins only
     * when both orders agree, anything else is a tie.
     */
    public static WinRateResult ofBothOrders(List<String> prompts, List<String> outputsA, List<String> outputsB, Judge judge,
            int resamples, double confidence, long seed) {
        Judge swapped = (p, a, b) -> {
            Verdict first = judge.judge(p, a, b);
            Verdict second = judge.judge(p, b, a);
            if (first == null || second == null) {
                return null;
            }
            if (first == Verdict.A && second == Verdict.B) {
                return Verdict.A;
            }
            return first == Verdict.B && second == Verdict.A ? Verdict.B : Verdict.TIE;
        };
        return of(prompts, outputsA, outputsB, swapped, resamples, confidence, seed);
    }

    /** The win rate and bootstrap interval of verdicts already made. */
    public static WinRateResult fromVerdicts(List<Verdict> verdicts, int resamples, double confidence, long seed) {
        if (verdicts.isEmpty()) {
            throw new IllegalArgumentException("no verdicts: the win rate of zero comparisons is undefined");
        }
        if (resamples < 1) {
            throw new IllegalArgumentException("resamples must be at least 1, got " + resamples);
        }
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
        }
        int n = verdicts.size();
        double[] points = new double[n]; // 1 win, 0.5 tie, 0 loss
        int wins = 0;
        int ties = 0;
        for (int i = 0; i < n; i++) {
            Verdict v = verdicts.get(i);
            points[i] = v == Verdict.A ? 1 : v == Verdict.TIE ? 0.5 : 0;
            wins += v == Verdict.A ? 1 : 0;
            ties += v == Verdict.TIE ? 1 : 0;
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] rates = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += points[random.nextInt(n)];
            }
            rates[b] = sum / n;
        }
        Arrays.sort(rates);
        double tail = (1 - confidence) / 2;
        double rate = Arrays.stream(points).sum() / n;
        return new WinRateResult(wins, n - wins - ties, ties, rate, percentile(rates, 100 * tail),
                percentile(rates, 100 * (1 - tail)), confidence, resamples, seed);
    }

    /** numpy.percentile with the default linear interpolation, on sorted values. */
    static double percentile(double[] sorted, double q) {
        double position = q / 100 * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
