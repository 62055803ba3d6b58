package dev.tunelab.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Near-duplicate detection by word n-gram Jaccard similarity, found with MinHash and
 * locality-sensitive hashing and then checked exactly. Defaults follow Lee et al. 2022
 * ("Deduplicating Training Data Makes Language Models Better", section 4.1): 5-gram shingles,
 * a pair is a near duplicate when the Jaccard similarity of their shingle sets is at least 0.8.
 *
 * <p>Texts are taken in order; each is compared with the ones kept before it, and is a near
 * duplicate (to be dropped, keeping the first) when one of them reaches the threshold. MinHash
 * (Broder 1997, "On the resemblance and containment of documents") gives 100 signatures per
 * text; LSH with 20 bands of 5 rows makes a pair a candidate when a band agrees, which a pair at
 * similarity 0.8 misses with probability (1 - 0.8^5)^20 ≈ 0.0004 (Leskovec, Rajaraman and
 * Ullman, "Mining of Massive Datasets", section 3.4). Every candidate's true similarity is then
 * computed from the shingle sets, so no pair below the threshold is ever reported.
 */
public final class NearDuplicates {
    private static final int BANDS = 20;
    private static final int ROWS = 5;

    /** Text {@code index} is a near duplicate of the earlier, kept text {@code of}. */
    public record Match(int index, int of, double similarity) {}

    private final int n;
    private final double threshold;
    private final long[] seeds = new long[BANDS * ROWS];
    private final List<long[]> kept = new ArrayList<>();
    private final List<Integer> keptIndex = new ArrayList<>();
    private final List<Map<Long, List<Integer>>> buckets = new ArrayList<>();
    private int next;

    public NearDuplicates(int n, double threshold) {
        if (n < 1) throw new IllegalArgumentException("n must be >= 1, got " + n);
        if (!(threshold > 0 && threshold <= 1)) throw new IllegalArgumentException("threshold must be in (0, 1], got " + threshold);
        this.n = n;
        this.threshold = threshold;
        for (int i = 0; i < seeds.length; i++) seeds[i] = Hashing.hash("minhash" + i, 17);
        for (int b = 0; b < BANDS; b++) buckets.add(new HashMap<>());
    }

    /** 5-grams, 0.8 (Lee et al. 2022). */
    public static NearDuplicates defaults() {
        return new NearDuplicates(5, 0.8);
    }

    public int n() {
        return n;
    }

    public double threshold() {
        return threshold;
    }

    /** The near duplicates among {@code texts}, each against the first of its kind. */
    public static List<Match> find(List<String> texts, int n, double threshold) {
        NearDuplicates d = new NearDuplicates(n, threshold);
        List<Match> out = new ArrayList<>();
        for (String t : texts) {
            Match m = d.add(t);
            if (m != null) out.add(m);
        }
        return out;
    }

    /**
     * Takes the next text (its index counts from 0): null when it is kept, else the kept text it
     * nearly repeats (the most similar one found).
     */
    public Match add(String text) {
        return addAt(text, next);
    }

    /** Like {@link #add} with the caller's index for the text (when some texts are skipped). */
    public Match addAt(String text, int index) {
        next = index + 1;
        long[] shingles = Shingles.of(text, n);
        long[] sig = signature(shingles);
        Match best = null;
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int b = 0; b < BANDS; b++) {
            for (int k : buckets.get(b).getOrDefault(bandKey(sig, b), List.of())) {
                if (!seen.add(k)) continue;
                double s = Shingles.jaccard(shingles, kept.get(k));
                if (s >= threshold && (best == null || s > best.similarity())) best = new Match(index, keptIndex.get(k), s);
            }
        }
        if (best != null) return best;
        int k = kept.size();
        kept.add(shingles);
        keptIndex.add(index);
        for (int b = 0; b < BANDS; b++) buckets.get(b).computeIfAbsent(bandKey(sig, b), x -> new ArrayList<>()).add(k);
        return null;
    }

    private long[] signature(long[] shingles) {
        long[] sig = new long[seeds.length];
        java.util.Arrays.fill(sig, Long.MAX_VALUE);
        for (long s : shingles) {
            for (int i = 0; i < seeds.length; i++) {
                long h = mix(s ^ seeds[i]);
                if (h < sig[i]) sig[i] = h;
            }
        }
        return sig;
    }

    private static long bandKey(long[] sig, int band) {
        long h = band;
        for (int r = 0; r < ROWS; r++) h = mix(h * 31 + sig[band * ROWS + r]);
        return h;
    }

    // SplitMix64's finalizer (Steele, Lea and Flood 2014): one hash function per seed
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
