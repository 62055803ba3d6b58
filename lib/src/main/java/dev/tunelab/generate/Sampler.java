package dev.tunelab.generate;

import java.util.Random;

/** Picks the next token from one row of logits: greedy, or temperature + top-k + top-p sampling. */
public final class Sampler {
    private final GenerationConfig config;
    private final Random random;
    private final TokenOrder order = new TokenOrder();
    private double[] p = new double[0];
    private double[] probs = new double[0];

    public Sampler(GenerationConfig config) {
        this.config = config;
        this.random = new Random(config.seed());
    }

    public int next(float[] logits) {
        if (config.temperature() == 0) {
            return argmax(logits);
        }
        int v = logits.length;
        if (p.length != v) { // buffers reused from row to row and step to step
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
        int[] order = this.order.descending(p, logits);
        int keep = config.topK() > 0 ? Math.min(config.topK(), v) : v;
        double sum = 0;
        for (int r = 0; r < keep; r++) {
            probs[r] = Math.exp(p[order[r]]);
            sum += probs[r];
        }
        // Nucleus: the smallest prefix of the sorted tokens whose probability reaches top_p.
        double cumulative = 0;
        int nucleus = keep;
        for (int r = 0; r < keep; r++) {
            cumulative += probs[r] / sum;
            if (cumulative >= config.topP()) {
                nucleus = r + 1;
                break;
            }
        }
        double total = 0;
        for (int r = 0; r < nucleus; r++) {
            total += probs[r];
        }
        double u = random.nextDouble() * total;
        for (int r = 0; r < nucleus; r++) {
            u -= probs[r];
            if (u <= 0) {
                return order[r];
            }
        }
        return order[nucleus - 1];
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
