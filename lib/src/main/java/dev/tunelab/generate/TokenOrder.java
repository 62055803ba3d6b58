package dev.tunelab.generate;

import java.util.Arrays;

/**
 * Token ids ordered by sampling probability, most likely first, for {@link Sampler}. Its buffers
 * are reused from call to call, so sampling many rows allocates nothing per token.
 */
final class TokenOrder {
    private int[] key = new int[0];
    private int[] order = new int[0];
    private int[] next = new int[0];
    private final int[] start = new int[257];

    /**
     * Token ids by p descending, ties in id order: the order a stable sort by
     * {@code Double.compare(p[b], p[a])} gives, computed fast. p = (logit - max) / T never decreases
     * as the logit grows, so the ids are sorted by their float logit first (a stable radix sort, ties
     * staying in id order); ids whose p came out equal although their logits differ (rounding) are
     * then put back in id order. Should the check find p out of order, the plain sort decides.
     * The array returned is overwritten by the next call.
     */
    int[] descending(double[] p, float[] logits) {
        int v = p.length;
        if (key.length != v) {
            key = new int[v];
            order = new int[v];
            next = new int[v];
        }
        for (int i = 0; i < v; i++) {
            int bits = Float.floatToIntBits(logits[i]);
            // the float order as unsigned ints (-0 before +0, NaN last), then reversed: larger logits first
            key[i] = ~(bits ^ ((bits >> 31) & 0x7fffffff) ^ 0x80000000);
        }
        radixSort();
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

    /** Ids 0..n-1 into {@code order} by unsigned key, equal keys in id order: least-significant-digit radix sort, a byte per pass. */
    private void radixSort() {
        int n = key.length;
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
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
}
