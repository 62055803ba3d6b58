package dev.tunelab.eval;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The mean difference of paired measurements with a percentile bootstrap interval (Efron &amp;
 * Tibshirani 1993): the pairs (not the two sides apart) are resampled with replacement, the mean
 * difference recomputed each time, and the interval read off the resampled means as numpy's
 * default (linear) percentile does, as {@link WinRate} does for verdicts. The seed fixes it.
 *
 * <pre>{@code
 * Gap g = PairedBootstrap.meanGap(female, male, 1000, 0.95, 0);   // mean(female - male) [low, high]
 * }</pre>
 */
public final class PairedBootstrap {
    private PairedBootstrap() {}

    /** A mean difference {@code a - b} over {@code n} pairs and its interval. */
    public record Gap(double mean, double lower, double upper, int n, double confidence) {
        /** Whether the interval leaves out 0: the sides differ at this confidence. */
        public boolean excludesZero() {
            return lower > 0 || upper < 0;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%.4f [%.4f, %.4f] (%d pairs)", mean, lower, upper, n);
        }
    }

    /** Mean of {@code a[i] - b[i]} with a {@code confidence} interval from {@code resamples} resamples of the pairs. */
    public static Gap meanGap(double[] a, double[] b, int resamples, double confidence, long seed) {
        if (a.length != b.length || a.length == 0) {
            throw new IllegalArgumentException("need two non-empty paired arrays; lengths " + a.length + ", " + b.length);
        }
        if (resamples < 1) {
            throw new IllegalArgumentException("resamples must be at least 1, got " + resamples);
        }
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
        }
        int n = a.length;
        double[] diff = new double[n];
        for (int i = 0; i < n; i++) {
            diff[i] = a[i] - b[i];
            if (!Double.isFinite(diff[i])) {
                throw new IllegalArgumentException("pair " + i + " is not finite: " + a[i] + " - " + b[i]);
            }
        }
        double[] means = resampledMeans(diff, resamples, seed);
        Arrays.sort(means);
        double tail = (1 - confidence) / 2;
        return new Gap(Arrays.stream(diff).average().orElseThrow(), WinRate.percentile(means, 100 * tail),
                WinRate.percentile(means, 100 * (1 - tail)), n, confidence);
    }

    /** The mean of {@code diff} over {@code resamples} resamples with replacement, in draw order. */
    static double[] resampledMeans(double[] diff, int resamples, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int n = diff.length;
        double[] means = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += diff[random.nextInt(n)];
            }
            means[r] = sum / n;
        }
        return means;
    }
}
