package dev.tunelab.data;

import java.util.List;

/**
 * Word n-grams of a text as 64-bit hashes: the unit that near-duplicate and contamination checks
 * compare. Words are {@link Lexicon#words} (lower case, punctuation dropped), so spacing, case
 * and punctuation do not hide a copy. A text shorter than {@code n} words is one shingle of all
 * its words; a text with no word has none.
 */
final class Shingles {
    private Shingles() {}

    static long[] of(String text, int n) {
        List<String> words = Lexicon.words(text);
        if (words.isEmpty()) return new long[0];
        int count = Math.max(1, words.size() - n + 1);
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            String gram = String.join(" ", words.subList(i, Math.min(words.size(), i + n)));
            out[i] = Hashing.hash(gram, 0x5eed_5eedL);
        }
        return java.util.Arrays.stream(out).distinct().sorted().toArray();
    }

    /** |a ∩ b| / |a ∪ b| of two sorted, distinct arrays; 1 for two empty ones. */
    static double jaccard(long[] a, long[] b) {
        if (a.length == 0 && b.length == 0) return 1;
        int i = 0;
        int j = 0;
        int inter = 0;
        while (i < a.length && j < b.length) {
            if (a[i] == b[j]) {
                inter++;
                i++;
                j++;
            } else if (a[i] < b[j]) {
                i++;
            } else {
                j++;
            }
        }
        return (double) inter / (a.length + b.length - inter);
    }
}
