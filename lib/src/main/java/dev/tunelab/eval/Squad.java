package dev.tunelab.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Exact match and token F1 of the official SQuAD v1.1 evaluation script ({@code evaluate-v1.1.py},
 * Rajpurkar et al. 2016). Answers are normalised before comparing: lower-cased, ASCII punctuation
 * removed, the articles a/an/the removed, whitespace collapsed. With several reference answers
 * the best score counts; corpus scores are means times 100.
 */
public final class Squad {
    // Python's string.punctuation.
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    // Python 3's \b is Unicode-aware; UNICODE_CHARACTER_CLASS makes Java's \b the same.
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);

    private Squad() {}

    /** The script's normalize_answer. */
    public static String normalize(String answer) {
        String lower = answer.toLowerCase(Locale.ROOT);
        StringBuilder noPunctuation = new StringBuilder(lower.length());
        lower.codePoints().filter(c -> PUNCTUATION.indexOf(c) < 0).forEach(noPunctuation::appendCodePoint);
        String noArticles = ARTICLES.matcher(noPunctuation).replaceAll(" ");
        return String.join(" ", Text.split(noArticles));
    }

    public static boolean exactMatch(String prediction, String answer) {
        return normalize(prediction).equals(normalize(answer));
    }

    /** Harmonic mean of token precision and recall over the normalised answers' bags of words. */
    public static double f1(String prediction, String answer) {
        List<String> predicted = Text.split(normalize(prediction));
        List<String> truth = Text.split(normalize(answer));
        Map<String, Integer> truthCounts = new HashMap<>();
        truth.forEach(t -> truthCounts.merge(t, 1, Integer::sum));
        int same = 0;
        for (String t : predicted) {
            Integer left = truthCounts.get(t);
            if (left != null && left > 0) {
                same++;
                truthCounts.put(t, left - 1);
            }
        }
        if (same == 0) {
            return 0;
        }
        double precision = (double) same / predicted.size();
        double recall = (double) same / truth.size();
        return 2 * precision * recall / (precision + recall);
    }

    /** 1 or 0: the best over the reference answers (metric_max_over_ground_truths). */
    public static double exactMatch(String prediction, List<String> answers) {
        requireAnswers(answers);
        return answers.stream().anyMatch(a -> exactMatch(prediction, a)) ? 1 : 0;
    }

    public static double f1(String prediction, List<String> answers) {
        requireAnswers(answers);
        return answers.stream().mapToDouble(a -> f1(prediction, a)).max().orElse(0);
    }

    /** The script's summary: {@code exact_match} and {@code f1} as percentages over all questions. */
    public static SquadScore score(List<String> predictions, List<List<String>> answers) {
        if (predictions.size() != answers.size()) {
            throw new IllegalArgumentException(predictions.size() + " predictions but " + answers.size() + " answer lists");
        }
        if (predictions.isEmpty()) {
            throw new IllegalArgumentException("no predictions to score");
        }
        double em = 0;
        double f1 = 0;
        for (int i = 0; i < predictions.size(); i++) {
            if (predictions.get(i) == null) {
                throw new IllegalArgumentException("prediction " + i + " is null");
            }
            em += exactMatch(predictions.get(i), answers.get(i));
            f1 += f1(predictions.get(i), answers.get(i));
        }
        return new SquadScore(100 * em / predictions.size(), 100 * f1 / predictions.size());
    }

    private static void requireAnswers(List<String> answers) {
        if (answers == null || answers.isEmpty()) {
            throw new IllegalArgumentException("a question needs at least one reference answer");
        }
    }

    /** SQuAD's two numbers, each 0..100. */
    public record SquadScore(double exactMatch, double f1) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "exact_match %.2f f1 %.2f", exactMatch, f1);
        }
    }
}
