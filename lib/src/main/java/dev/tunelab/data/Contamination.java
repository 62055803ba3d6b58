package dev.tunelab.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Overlap of training rows with a held-out set: a row is contaminated when it shares a word
 * n-gram with a held-out row (GPT-3's test, Brown et al. 2020 appendix C, with n = 13), or, when
 * it or the held-out row is shorter than n words, when the two have the same words.
 */
final class Contamination {
    private final int n;
    private final Map<Long, Integer> grams = new HashMap<>(); // n-gram -> first held-out row holding it
    private final Map<Long, Integer> shortTexts = new HashMap<>(); // all words of a row under n words -> that row
    private final Set<Long> shortInGrams = new HashSet<>();

    private Contamination(int n) {
        this.n = n;
    }

    static Contamination of(Dataset<? extends Example> heldOut, int n) {
        Contamination c = new Contamination(n);
        for (int i = 0; i < heldOut.size(); i++) {
            String t = heldOut.get(i).text();
            List<String> words = Lexicon.words(t);
            if (words.isEmpty()) continue;
            if (words.size() < n) c.shortTexts.putIfAbsent(Hashing.hash(String.join(" ", words), 1), i);
            for (long g : Shingles.of(t, n)) c.grams.putIfAbsent(g, i);
        }
        return c;
    }

    /** The held-out row {@code text} overlaps with, and how many n-grams they share; null when none. */
    int[] match(String text) {
        List<String> words = Lexicon.words(text);
        if (words.isEmpty()) return null;
        if (words.size() < n) {
            Integer j = shortTexts.get(Hashing.hash(String.join(" ", words), 1));
            return j == null ? null : new int[] {j, 1};
        }
        int shared = 0;
        int first = -1;
        for (long g : Shingles.of(text, n)) {
            Integer j = grams.get(g);
            if (j != null) {
                shared++;
                if (first < 0) first = j;
            }
        }
        return shared == 0 ? null : new int[] {first, shared};
    }

    List<DataReport.Flag> flags(List<? extends Example> rows) {
        List<DataReport.Flag> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            int[] m = match(rows.get(i).text());
            if (m != null) {
                out.add(new DataReport.Flag(i, m[1] + " shared " + n + "-gram" + (m[1] == 1 ? "" : "s") + " with held-out row " + m[0], m[1]));
            }
        }
        return out;
    }
}
