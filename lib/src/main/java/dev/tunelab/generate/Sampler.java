package dev.tunelab.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Picks the next token from one row of logits: greedy, or temperature + top-k + top-p sampling.
 * For a batch, the work that needs no random number (sorting, exponentials) may run on several
 * threads; the draws then happen one row after another in row order, so a seed gives the same
 * tokens on any number of threads.
 */
public final class Sampler {
    /** Below this many logits in a batch, preparing the rows on several threads costs more than it saves. */
    private static final long PARALLEL_LOGITS = 1 << 15;

    private final GenerationConfig config;
    private final Random random;
    private final List<Candidates> rows = new ArrayList<>(); // per batch row, reused from step to step

    public Sampler(GenerationConfig config) {
        this.config = config;
        this.random = new Random(config.seed());
    }

    public int next(float[] logits) {
        if (config.temperature() == 0) {
            return argmax(logits);
        }
        Candidates c = candidates(0);
        c.prepare(logits, config);
        return c.draw(random.nextDouble());
    }

    /** The next token of every row not skipped (skipped rows get -1), as {@link #next(float[])} row after row. */
    int[] next(float[][] logits, boolean[] skip, Workers workers) {
        int[] tokens = new int[logits.length];
        long work = 0;
        for (int b = 0; b < logits.length; b++) {
            tokens[b] = -1;
            work += skip[b] ? 0 : logits[b].length;
            candidates(b);
        }
        workers.forRange(logits.length, work >= PARALLEL_LOGITS, (from, to) -> {
            for (int b = from; b < to; b++) {
                if (skip[b]) {
                    continue;
                }
                if (config.temperature() == 0) {
                    tokens[b] = argmax(logits[b]);
                } else {
                    rows.get(b).prepare(logits[b], config);
                }
            }
        });
        if (config.temperature() > 0) {
            for (int b = 0; b < logits.length; b++) {
                if (!skip[b]) {
                    tokens[b] = rows.get(b).draw(random.nextDouble());
                }
            }
        }
        return tokens;
    }

    private Candidates candidates(int row) {
        while (rows.size() <= row) {
            rows.add(new Candidates());
        }
        return rows.get(row);
    }

    /** One row's tokens in order of probability and their unnormalised probabilities, cut to top-k and top-p. */
    private static final class Candidates {
        private final TokenOrder sorter = new TokenOrder();
        private double[] p = new double[0]; // (vocab) (logit - max) / T
        private double[] probs = new double[0]; // (vocab) exp(p) in the order of `order`
        private int[] order; // token ids, most likely first
        private int nucleus; // how many of them can be drawn
        private double total; // their probabilities' sum

        void prepare(float[] logits, GenerationConfig config) {
            int v = logits.length;
            if (p.length != v) {
                p = new double[v];
                probs = new double[v];
            }
            double max = Double.NEGATIVE_INFINITY;
            for (float l : logits) {
                max = Math.max(max, l);
            }
            for (int i = 0; i < v; i++) {
                p[i] = (logits[i] - max) / config.temperature();
            }
            order = sorter.descending(p, logits);
            int keep = config.topK() > 0 ? Math.min(config.topK(), v) : v;
            double sum = 0;
            for (int r = 0; r < keep; r++) {
                probs[r] = Math.exp(p[order[r]]);
                sum += probs[r];
            }
            // Nucleus: the smallest prefix of the sorted tokens whose probability reaches top_p.
            double cumulative = 0;
            nucleus = keep;
            for (int r = 0; r < keep; r++) {
                cumulative += probs[r] / sum;
                if (cumulative >= config.topP()) {
                    nucleus = r + 1;
                    break;
                }
            }
            total = 0;
            for (int r = 0; r < nucleus; r++) {
                total += probs[r];
            }
        }

        /** The token where a uniform draw in [0, 1) lands among the candidates. */
        int draw(double uniform) {
            double u = uniform * total;
            for (int r = 0; r < nucleus; r++) {
                u -= probs[r];
                if (u <= 0) {
                    return order[r];
                }
            }
            return order[nucleus - 1];
        }
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
