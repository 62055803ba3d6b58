package dev.tunelab.distill;

import dev.tunelab.data.Lexicon;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Near-duplicate removal by word n-gram overlap: a candidate is dropped when the Jaccard
 * similarity of its set of word n-grams with that of some kept text is at least {@code threshold}
 * (Lee et al. 2022, "Deduplicating Training Data Makes Language Models Better", use 5-grams and
 * 0.8 with MinHash; here the similarity is exact, through an inverted index of the kept n-grams).
 * Words are {@link Lexicon#words} (lower case, punctuation dropped), so spacing and case do not
 * hide a copy. A text shorter than n words is its own single n-gram.
 */
public final class NgramDedup implements Filter {
    private final int n;
    private final double threshold;
    private final boolean wholeText;
    private final Map<String, List<Integer>> index = new HashMap<>();
    private final List<Integer> sizes = new ArrayList<>();

    /**
     * @param wholeText compare prompt + completion; false compares completions only (the usual
     *     choice when prompts share a template)
     */
    public NgramDedup(int n, double threshold, boolean wholeText) {
        if (n < 1) throw new IllegalArgumentException("n must be >= 1, got " + n);
        if (threshold <= 0 || threshold > 1) throw new IllegalArgumentException("threshold must be in (0, 1], got " + threshold);
        this.n = n;
        this.threshold = threshold;
        this.wholeText = wholeText;
    }

    /** Completions sharing 80% of their 5-grams are duplicates (Lee et al. 2022's setting). */
    public static NgramDedup defaults() {
        return new NgramDedup(5, 0.8, false);
    }

    @Override
    public String name() {
        return "near-duplicate (" + n + "-gram Jaccard >= " + threshold + ")";
    }

    @Override
    public boolean passes(Candidate c) {
        return maxSimilarity(c) < threshold;
    }

    /** The highest Jaccard similarity of the candidate's n-grams with any kept text (0 when none is kept). */
    public double maxSimilarity(Candidate c) {
        Set<String> grams = ngrams(text(c));
        Map<Integer, Integer> shared = new HashMap<>();
        for (String g : grams) {
            for (int id : index.getOrDefault(g, List.of())) shared.merge(id, 1, Integer::sum);
        }
        double best = 0;
        for (var e : shared.entrySet()) {
            int inter = e.getValue();
            best = Math.max(best, (double) inter / (grams.size() + sizes.get(e.getKey()) - inter));
        }
        return best;
    }

    @Override
    public void kept(Candidate c) {
        Set<String> grams = ngrams(text(c));
        int id = sizes.size();
        sizes.add(grams.size());
        for (String g : grams) index.computeIfAbsent(g, k -> new ArrayList<>()).add(id);
    }

    private String text(Candidate c) {
        return wholeText ? c.text() : c.completion();
    }

    Set<String> ngrams(String text) {
        List<String> words = Lexicon.words(text);
        Set<String> out = new HashSet<>();
        if (words.size() < n) {
            out.add(String.join(" ", words));
            return out;
        }
        for (int i = 0; i + n <= words.size(); i++) out.add(String.join(" ", words.subList(i, i + n)));
        return out;
    }
}
