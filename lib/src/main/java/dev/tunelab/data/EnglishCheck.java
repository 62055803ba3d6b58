package dev.tunelab.data;

import java.util.List;
import java.util.Set;

/**
 * A simple test of whether a text is English, for counting rows in another language (or mostly
 * not prose). A text is flagged when either
 *
 * <ul>
 *   <li>fewer than 80% of its letters are ASCII a-z (scripts other than Latin, or Latin text
 *       heavy in accents), or
 *   <li>it has at least 8 words and fewer than 10% of them are English function words (the list
 *       below): running English prose has 30-50% of such words (the most frequent English words
 *       in any frequency list, e.g. the Brown corpus, are these).
 * </ul>
 *
 * It is a heuristic, not a language identifier: a long list of nouns or a code block is flagged
 * too, and a short non-English text with Latin letters may pass. The report shows the flagged
 * rows so a reader can judge.
 */
public final class EnglishCheck {
    static final double MIN_ASCII_LETTERS = 0.8;
    static final double MIN_FUNCTION_WORDS = 0.1;
    static final int MIN_WORDS = 8;

    // Written for tunelab: English articles, pronouns, prepositions, conjunctions, auxiliaries.
    static final Set<String> FUNCTION_WORDS = Set.of("the", "of", "and", "a", "an", "to", "in", "is", "are", "was", "were",
            "be", "been", "it", "its", "that", "this", "these", "those", "for", "on", "with", "as", "by", "at", "from", "or",
            "not", "but", "if", "then", "so", "than", "there", "their", "they", "them", "he", "she", "his", "her", "we",
            "our", "you", "your", "i", "my", "me", "has", "have", "had", "do", "does", "did", "can", "will", "would",
            "should", "could", "may", "which", "who", "what", "when", "where", "how", "all", "any", "some", "no", "into",
            "about", "also", "more", "most", "other", "such", "each", "one", "only");

    private EnglishCheck() {}

    /** Why {@code text} is flagged as not English, or null when it passes. */
    public static String problem(String text) {
        int letters = 0;
        int ascii = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isLetter(c)) {
                letters++;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) ascii++;
            }
        }
        if (letters > 0 && (double) ascii / letters < MIN_ASCII_LETTERS) {
            return String.format("%.0f%% of letters are ASCII a-z", 100.0 * ascii / letters);
        }
        List<String> words = Lexicon.words(text);
        if (words.size() >= MIN_WORDS) {
            long f = words.stream().filter(FUNCTION_WORDS::contains).count();
            if ((double) f / words.size() < MIN_FUNCTION_WORDS) {
                return String.format("%.0f%% of %d words are English function words", 100.0 * f / words.size(), words.size());
            }
        }
        return null;
    }
}
