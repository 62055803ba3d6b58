package dev.tunelab.generate;

import java.util.Arrays;
import java.util.Random;

/** Picks the next token from one row of logits: greedy, or temperature + top-k + top-p sampling. */
public final class Sampler {
    private final GenerationConfig config;
    private final Random random;

    public Sampler(GenerationConfig config) {
        this.config = config;
        this.random = new Random(config.seed());
    }

    public int next(float[] logits) {
        if (config.temperature() == 0) {
            return argmax(logits);
        }
        int v = logits.length;
        double[] p = new double[v];
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        for (int i = 0; i < v; i++) {
            p[i] = (logits[i] - max) / config.temperature();
        }
        int[] order = descending(p, logits);
        int keep = config.topK() > 0 ? Math.min(config.topK(), v) : v;
        double[] probs = new double[keep];
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

    /**
     * Token ids by p descending, ties in id order: the order a stable sort by
     * {@code Double.compare(p[b], p[a])} gives, computed fast. p = (logit - max) / T never decreases
     * as the logit grows, so the ids are sorted by their float logit first (a stable radix sort, ties
     * staying in id order); ids whose p came out equal although their logits differ (rounding) are
     * then put back in id order. Should the check find p out of order, the plain sort decides.
     */
    static int[] descending(double[] p, float[] logits) {
        int v = p.length;
        int[] key = new int[v];
        for (int i = 0; i < v; i++) {
            int bits = Float.floatToIntBits(logits[i]);
            // the float order as unsigned ints (-0 before +0, NaN last), then reversed: larger logits first
            key[i] = ~(bits ^ ((bits >> 31) & 0x7fffffff) ^ 0x80000000);
        }
        int[] order = radixSort(key);
        for (int r = 0; r + 1 < v; r++) {
            int c = Double.compare(p[order[r]], p[order[r + 1]]);
            if (c < 0) {
                return stableSort(p);
            }
            if (c == 0) { // a run of equal p: id order
                int end = r + 1;
                while (end + 1 < v && Double.compare(p[order[r]], p[order[end + 1]]) == 0) {
                    end++;
                }
                Arrays.sort(order, r, end + 1);
                r = end;
            }
        }
        return order;
    }

    /** Ids 0..n-1 sorted by unsigned key, equal keys in id order: least-significant-digit radix sort, a byte per pass. */
    private static int[] radixSort(int[] key) {
        int n = key.length;
        int[] order = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        int[] start = new int[257];
        for (int shift = 0; shift < 32; shift += 8) {
            Arrays.fill(start, 0);
            for (int i = 0; i < n; i++) {
                start[((key[i] >>> shift) & 0xff) + 1]++;
            }
            if (start[((key[0] >>> shift) & 0xff) + 1] == n) {
                continue; // every key has this byte: the pass would change nothing
            }
            for (int d = 0; d < 256; d++) {
                start[d + 1] += start[d];
            }
            for (int r = 0; r < n; r++) {
                int id = order[r];
                next[start[(key[id] >>> shift) & 0xff]++] = id;
            }
            int[] t = order;
            order = next;
            next = t;
        }
        return order;
    }

    /** The definition: a stable sort of the ids by p descending. */
    static int[] stableSort(double[] p) {
        Integer[] boxed = new Integer[p.length];
        for (int i = 0; i < p.length; i++) {
            boxed[i] = i;
        }
        Arrays.sort(boxed, (a, b) -> Double.compare(p[b], p[a]));
        return Arrays.stream(boxed).mapToInt(Integer::intValue).toArray();
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
