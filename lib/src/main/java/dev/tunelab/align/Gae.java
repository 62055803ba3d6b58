package dev.tunelab.align;

/**
 * Generalised advantage estimation (Schulman et al. 2016, "High-Dimensional Continuous Control
 * Using Generalized Advantage Estimation", eq. 16) over the tokens of a batch of completions:
 * delta_t = r_t + gamma V(t+1) - V(t), A_t = sum_l (gamma lambda)^l delta_{t+l}, returns = A + V.
 *
 * <p>Rows are completions, columns their tokens; the mask marks real tokens (1) and right padding
 * (0), so the value after a completion's last token is 0 (the episode ended) and padded positions
 * get advantage and return 0. As TRL's {@code PPOTrainer.compute_advantages}, computed backwards.
 */
public final class Gae {
    // TRL's masked_whiten adds 1e-8 to the variance before the square root.
    static final double WHITEN_EPS = 1e-8;

    private Gae() {}

    /** Advantages and returns (value targets), both (rows, tokens), 0 on padding. */
    public record Result(double[][] advantages, double[][] returns) {}

    public static Result compute(double[][] rewards, double[][] values, double[][] mask, double gamma, double lambda) {
        requireSameShape(rewards, values, "values");
        requireSameShape(rewards, mask, "mask");
        int rows = rewards.length;
        double[][] advantages = new double[rows][];
        double[][] returns = new double[rows][];
        for (int b = 0; b < rows; b++) {
            int tokens = rewards[b].length;
            advantages[b] = new double[tokens];
            returns[b] = new double[tokens];
            double lastAdvantage = 0;
            for (int t = tokens - 1; t >= 0; t--) {
                if (mask[b][t] == 0) {
                    lastAdvantage = 0; // padding: nothing flows back through it
                    continue;
                }
                double nextValue = t + 1 < tokens && mask[b][t + 1] != 0 ? values[b][t + 1] : 0;
                double delta = rewards[b][t] + gamma * nextValue - values[b][t];
                lastAdvantage = delta + gamma * lambda * lastAdvantage;
                advantages[b][t] = lastAdvantage;
                returns[b][t] = lastAdvantage + values[b][t];
            }
        }
        return new Result(advantages, returns);
    }

    /**
     * Whitening over the masked entries, as TRL's {@code masked_whiten}: (x - mean) / sqrt(var + 1e-8)
     * with the unbiased variance; with {@code shiftMean} false the mean is added back (only the
     * scale changes). Padded entries come out 0.
     */
    public static double[][] whiten(double[][] x, double[][] mask, boolean shiftMean) {
        requireSameShape(x, mask, "mask");
        double mean = maskedMean(x, mask);
        double count = 0;
        double squares = 0;
        for (int b = 0; b < x.length; b++) {
            for (int t = 0; t < x[b].length; t++) {
                squares += mask[b][t] * (x[b][t] - mean) * (x[b][t] - mean);
                count += mask[b][t];
            }
        }
        if (count < 2) {
            throw new IllegalArgumentException("whitening needs at least 2 unmasked entries, got " + count);
        }
        double variance = squares / (count - 1); // Bessel's correction, as TRL's masked_var
        double scale = 1 / Math.sqrt(variance + WHITEN_EPS);
        double[][] out = new double[x.length][];
        for (int b = 0; b < x.length; b++) {
            out[b] = new double[x[b].length];
            for (int t = 0; t < x[b].length; t++) {
                if (mask[b][t] != 0) {
                    out[b][t] = (x[b][t] - mean) * scale + (shiftMean ? 0 : mean);
                }
            }
        }
        return out;
    }

    /** Mean of the entries where the mask is 1. */
    public static double maskedMean(double[][] x, double[][] mask) {
        double sum = 0;
        double count = 0;
        for (int b = 0; b < x.length; b++) {
            for (int t = 0; t < x[b].length; t++) {
                sum += mask[b][t] * x[b][t];
                count += mask[b][t];
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("the mask selects no entries");
        }
        return sum / count;
    }

    private static void requireSameShape(double[][] a, double[][] other, String name) {
        if (a.length != other.length) {
            throw new IllegalArgumentException(name + " has " + other.length + " rows, rewards have " + a.length);
        }
        for (int b = 0; b < a.length; b++) {
            if (a[b].length != other[b].length) {
                throw new IllegalArgumentException(name + " row " + b + " has " + other[b].length + " tokens, rewards have "
                        + a[b].length);
            }
        }
    }
}
