package dev.tunelab.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * ROUGE-N and ROUGE-L (Lin 2004) as Google's rouge-score package computes them
 * ({@code rouge_scorer.py}, {@code tokenize.py}), which replicates ROUGE-1.5.5: text is
 * lower-cased, every run of characters other than a-z and 0-9 becomes a space, and with
 * stemming on, tokens longer than 3 characters go through the {@link PorterStemmer}. ROUGE-N
 * counts clipped n-gram overlaps; ROUGE-L uses the longest common subsequence, ROUGE-Lsum its
 * summary-level form over newline-separated sentences. F is the
 * harmonic mean of precision and recall (beta = 1).
 *
 * <pre>{@code
 * RougeScore l = Rouge.rougeL("the cat sat on the mat", "the cat lay on a mat", false);
 * double f = l.fmeasure();
 * }</pre>
 */
public final class Rouge {
    private static final Pattern NON_ALPHANUMERIC = Pattern.compile("[^a-z0-9]+");
    private static final Pattern VALID_TOKEN = Pattern.compile("^[a-z0-9]+$");
    private static final StemCache STEMS = new StemCache(200_000);

    private Rouge() {}

    /** rouge-score's tokenizer. */
    public static List<String> tokenize(String text, boolean stem) {
        String cleaned = NON_ALPHANUMERIC.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ");
        List<String> tokens = new ArrayList<>();
        for (String t : cleaned.split("\\s+")) {
            String token = stem && t.length() > 3 ? STEMS.stem(t) : t;
            if (VALID_TOKEN.matcher(token).matches()) {
                tokens.add(token);
            }
        }
        return tokens;
    }

    /** ROUGE-1, ROUGE-2 and ROUGE-L of one pair, tokenizing each text once. */
    public static RougeScores score(String target, String prediction, boolean stem) {
        List<String> t = tokenize(target, stem);
        List<String> p = tokenize(prediction, stem);
        return new RougeScores(rougeN(1, t, p), rougeN(2, t, p), rougeL(t, p));
    }

    /** The three ROUGE variants reported together. */
    public record RougeScores(RougeScore rouge1, RougeScore rouge2, RougeScore rougeL) {}

    /** ROUGE-N of {@code prediction} against {@code target} (rouge-score's argument order is target, prediction). */
    public static RougeScore rougeN(int n, String target, String prediction, boolean stem) {
        if (n < 1) {
            throw new IllegalArgumentException("ROUGE-N needs n >= 1, got " + n);
        }
        return rougeN(n, tokenize(target, stem), tokenize(prediction, stem));
    }

    static RougeScore rougeN(int n, List<String> target, List<String> prediction) {
        Map<List<String>, Integer> targetGrams = NGrams.counts(target, n);
        Map<List<String>, Integer> predictionGrams = NGrams.counts(prediction, n);
        int overlap = 0;
        for (var e : targetGrams.entrySet()) {
            overlap += Math.min(e.getValue(), predictionGrams.getOrDefault(e.getKey(), 0));
        }
        int targetCount = targetGrams.values().stream().mapToInt(Integer::intValue).sum();
        int predictionCount = predictionGrams.values().stream().mapToInt(Integer::intValue).sum();
        return RougeScore.of((double) overlap / Math.max(predictionCount, 1), (double) overlap / Math.max(targetCount, 1));
    }

    public static RougeScore rouge1(String target, String prediction, boolean stem) {
        return rougeN(1, target, prediction, stem);
    }

    public static RougeScore rouge2(String target, String prediction, boolean stem) {
        return rougeN(2, target, prediction, stem);
    }

    /** ROUGE-L: precision = LCS / |prediction|, recall = LCS / |target|. */
    public static RougeScore rougeL(String target, String prediction, boolean stem) {
        return rougeL(tokenize(target, stem), tokenize(prediction, stem));
    }

    /** ROUGE-L of already tokenized texts ({@link #tokenize}), for callers that compare one text with many. */
    public static RougeScore rougeL(List<String> t, List<String> p) {
        if (t.isEmpty() || p.isEmpty()) {
            return RougeScore.of(0, 0);
        }
        int lcs = lcsLength(t, p);
        return RougeScore.of((double) lcs / p.size(), (double) lcs / t.size());
    }

    /**
     * ROUGE-Lsum: summary-level LCS (Lin 2004, section 3.2) over sentences split at newlines, as
     * rouge-score's "rougeLsum": for each target sentence the union of its LCS with every
     * prediction sentence counts, and a token is never matched more often than it occurs.
     */
    public static RougeScore rougeLsum(String target, String prediction, boolean stem) {
        List<List<String>> targetSentences = sentences(target, stem);
        List<List<String>> predictionSentences = sentences(prediction, stem);
        int m = targetSentences.stream().mapToInt(List::size).sum();
        int n = predictionSentences.stream().mapToInt(List::size).sum();
        if (m == 0 || n == 0) {
            return RougeScore.of(0, 0);
        }
        Map<String, Integer> targetLeft = new HashMap<>();
        Map<String, Integer> predictionLeft = new HashMap<>();
        targetSentences.forEach(sentence -> sentence.forEach(t -> targetLeft.merge(t, 1, Integer::sum)));
        predictionSentences.forEach(sentence -> sentence.forEach(t -> predictionLeft.merge(t, 1, Integer::sum)));
        int hits = 0;
        for (List<String> ref : targetSentences) {
            TreeSet<Integer> union = new TreeSet<>();
            for (List<String> candidate : predictionSentences) {
                union.addAll(lcsIndices(ref, candidate));
            }
            for (int i : union) {
                String token = ref.get(i);
                if (predictionLeft.getOrDefault(token, 0) > 0 && targetLeft.getOrDefault(token, 0) > 0) {
                    hits++;
                    predictionLeft.merge(token, -1, Integer::sum);
                    targetLeft.merge(token, -1, Integer::sum);
                }
            }
        }
        return RougeScore.of((double) hits / n, (double) hits / m);
    }

    /** Non-empty lines, each tokenized (a line may still tokenize to nothing). */
    private static List<List<String>> sentences(String text, boolean stem) {
        List<List<String>> out = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            if (!line.isEmpty()) {
                out.add(tokenize(line, stem));
            }
        }
        return out;
    }

    /** Indices into {@code ref} of one LCS with {@code candidate}, read back as rouge-score's _backtrack_norec does. */
    static List<Integer> lcsIndices(List<String> ref, List<String> candidate) {
        int[][] table = new int[ref.size() + 1][candidate.size() + 1];
        for (int i = 1; i <= ref.size(); i++) {
            for (int j = 1; j <= candidate.size(); j++) {
                table[i][j] = ref.get(i - 1).equals(candidate.get(j - 1))
                        ? table[i - 1][j - 1] + 1
                        : Math.max(table[i - 1][j], table[i][j - 1]);
            }
        }
        List<Integer> indices = new ArrayList<>();
        int i = ref.size();
        int j = candidate.size();
        while (i > 0 && j > 0) {
            if (ref.get(i - 1).equals(candidate.get(j - 1))) {
                indices.add(0, i - 1);
                i--;
                j--;
            } else if (table[i][j - 1] > table[i - 1][j]) {
                j--;
            } else {
                i--;
            }
        }
        return indices;
    }

    /** Length of the longest common subsequence, by dynamic programming over two rows. */
    static int lcsLength(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        int[] current = new int[b.size() + 1];
        for (int i = 1; i <= a.size(); i++) {
            for (int j = 1; j <= b.size(); j++) {
                current[j] = a.get(i - 1).equals(b.get(j - 1))
                        ? previous[j - 1] + 1
                        : Math.max(previous[j], current[j - 1]);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.size()];
    }
}
