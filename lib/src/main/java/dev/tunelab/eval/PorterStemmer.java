package dev.tunelab.eval;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The Porter stemmer (Porter 1980, "An algorithm for suffix stripping") in the variant that NLTK
 * uses by default ({@code nltk.stem.porter.PorterStemmer}, mode NLTK_EXTENSIONS), which is the
 * stemmer Google's rouge-score applies with {@code use_stemmer=True}. NLTK's changes to the paper:
 * a few irregular forms, words of one or two letters left alone, "ies"/"ied" on 4-letter words
 * giving "ie", Y to I only after a consonant, "alli" and "logi" rules, and *o for two-letter stems.
 */
public final class PorterStemmer {
    // NLTK's table of irregular forms ("errors drawn to Martin Porter's attention over 20 years").
    private static final Map<String, String> IRREGULAR = Map.ofEntries(
            Map.entry("sky", "sky"), Map.entry("skies", "sky"), Map.entry("dying", "die"), Map.entry("lying", "lie"),
            Map.entry("tying", "tie"), Map.entry("news", "news"), Map.entry("innings", "inning"),
            Map.entry("inning", "inning"), Map.entry("outings", "outing"), Map.entry("outing", "outing"),
            Map.entry("cannings", "canning"), Map.entry("canning", "canning"), Map.entry("howe", "howe"),
            Map.entry("proceed", "proceed"), Map.entry("exceed", "exceed"), Map.entry("succeed", "succeed"));

    /** One suffix rule: a word ending in {@code suffix} whose stem passes {@code condition} gets {@code replacement}. */
    private record Rule(String suffix, String replacement, Predicate<String> condition) {}

    private static final Predicate<String> M_POSITIVE = stem -> measure(stem) > 0;
    private static final Predicate<String> M_ABOVE_1 = stem -> measure(stem) > 1;

    private static final List<Rule> STEP_1A = List.of(
            new Rule("sses", "ss", null), new Rule("ies", "i", null), new Rule("ss", "ss", null), new Rule("s", "", null));

    private static final List<Rule> STEP_2 = List.of(
            new Rule("ational", "ate", M_POSITIVE), new Rule("tional", "tion", M_POSITIVE),
            new Rule("enci", "ence", M_POSITIVE), new Rule("anci", "ance", M_POSITIVE),
            new Rule("izer", "ize", M_POSITIVE), new Rule("bli", "ble", M_POSITIVE), // NLTK: bli, not the paper's abli
            new Rule("alli", "al", M_POSITIVE), new Rule("entli", "ent", M_POSITIVE),
            new Rule("eli", "e", M_POSITIVE), new Rule("ousli", "ous", M_POSITIVE),
            new Rule("ization", "ize", M_POSITIVE), new Rule("ation", "ate", M_POSITIVE),
            new Rule("ator", "ate", M_POSITIVE), new Rule("alism", "al", M_POSITIVE),
            new Rule("iveness", "ive", M_POSITIVE), new Rule("fulness", "ful", M_POSITIVE),
            new Rule("ousness", "ous", M_POSITIVE), new Rule("aliti", "al", M_POSITIVE),
            new Rule("iviti", "ive", M_POSITIVE), new Rule("biliti", "ble", M_POSITIVE),
            new Rule("fulli", "ful", M_POSITIVE),
            // NLTK keeps the l of "logi" in the stem for the measure, so "geologi" -> "geolog".
            new Rule("logi", "log", stem -> measure(stem + "l") > 0));

    private static final List<Rule> STEP_3 = List.of(
            new Rule("icate", "ic", M_POSITIVE), new Rule("ative", "", M_POSITIVE), new Rule("alize", "al", M_POSITIVE),
            new Rule("iciti", "ic", M_POSITIVE), new Rule("ical", "ic", M_POSITIVE), new Rule("ful", "", M_POSITIVE),
            new Rule("ness", "", M_POSITIVE));

    private static final List<Rule> STEP_4 = List.of(
            new Rule("al", "", M_ABOVE_1), new Rule("ance", "", M_ABOVE_1), new Rule("ence", "", M_ABOVE_1),
            new Rule("er", "", M_ABOVE_1), new Rule("ic", "", M_ABOVE_1), new Rule("able", "", M_ABOVE_1),
            new Rule("ible", "", M_ABOVE_1), new Rule("ant", "", M_ABOVE_1), new Rule("ement", "", M_ABOVE_1),
            new Rule("ment", "", M_ABOVE_1), new Rule("ent", "", M_ABOVE_1),
            new Rule("ion", "", stem -> measure(stem) > 1 && (stem.endsWith("s") || stem.endsWith("t"))),
            new Rule("ou", "", M_ABOVE_1), new Rule("ism", "", M_ABOVE_1), new Rule("ate", "", M_ABOVE_1),
            new Rule("iti", "", M_ABOVE_1), new Rule("ous", "", M_ABOVE_1), new Rule("ive", "", M_ABOVE_1),
            new Rule("ize", "", M_ABOVE_1));

    private PorterStemmer() {}

    /** The stem of {@code word}, lower-cased first as NLTK does by default. */
    public static String stem(String word) {
        String w = word.toLowerCase(Locale.ROOT);
        String irregular = IRREGULAR.get(word);
        if (irregular != null) {
            return irregular;
        }
        if (word.length() <= 2) {
            return w;
        }
        w = step1a(w);
        w = step1b(w);
        w = step1c(w);
        w = step2(w);
        w = applyFirst(w, STEP_3);
        w = applyFirst(w, STEP_4);
        w = step5a(w);
        return step5b(w);
    }

    /**
     * The first rule whose suffix matches decides: if its condition holds the suffix is replaced,
     * otherwise the word is returned unchanged (no later rule is tried).
     */
    private static String applyFirst(String word, List<Rule> rules) {
        for (Rule r : rules) {
            if (word.endsWith(r.suffix())) {
                String stem = word.substring(0, word.length() - r.suffix().length());
                return r.condition() == null || r.condition().test(stem) ? stem + r.replacement() : word;
            }
        }
        return word;
    }

    private static String step1a(String w) {
        if (w.endsWith("ies") && w.length() == 4) {
            return w.substring(0, 1) + "ie"; // NLTK: "dies" -> "die", while "flies" -> "fli"
        }
        return applyFirst(w, STEP_1A);
    }

    private static String step1b(String w) {
        if (w.endsWith("ied")) {
            return w.substring(0, w.length() - 3) + (w.length() == 4 ? "ie" : "i"); // NLTK: "died" -> "die"
        }
        if (w.endsWith("eed")) {
            String stem = w.substring(0, w.length() - 3);
            return measure(stem) > 0 ? stem + "ee" : w;
        }
        String stem = null;
        for (String suffix : new String[] {"ed", "ing"}) {
            if (w.endsWith(suffix) && containsVowel(w.substring(0, w.length() - suffix.length()))) {
                stem = w.substring(0, w.length() - suffix.length());
                break;
            }
        }
        if (stem == null) {
            return w;
        }
        // Tidy-up after removing -ed or -ing: restore the e of -ate/-ble/-ize, undouble, or add e.
        if (stem.endsWith("at") || stem.endsWith("bl") || stem.endsWith("iz")) {
            return stem + "e";
        }
        if (endsDoubleConsonant(stem)) {
            char last = stem.charAt(stem.length() - 1);
            return last == 'l' || last == 's' || last == 'z' ? stem : stem.substring(0, stem.length() - 1);
        }
        return measure(stem) == 1 && endsCvc(stem) ? stem + "e" : stem;
    }

    private static String step1c(String w) {
        // NLTK: y -> i only after a consonant that is not the whole stem ("happy" -> "happi", "enjoy" stays).
        if (w.endsWith("y")) {
            String stem = w.substring(0, w.length() - 1);
            return stem.length() > 1 && isConsonant(stem, stem.length() - 1) ? stem + "i" : w;
        }
        return w;
    }

    private static String step2(String w) {
        // NLTK applies alli -> al first and, if it fires, runs step 2 again on the result.
        if (w.endsWith("alli") && measure(w.substring(0, w.length() - 4)) > 0) {
            return step2(w.substring(0, w.length() - 4) + "al");
        }
        return applyFirst(w, STEP_2);
    }

    private static String step5a(String w) {
        if (w.endsWith("e")) {
            String stem = w.substring(0, w.length() - 1);
            int m = measure(stem);
            if (m > 1 || (m == 1 && !endsCvc(stem))) {
                return stem;
            }
        }
        return w;
    }

    private static String step5b(String w) {
        return w.endsWith("ll") && measure(w.substring(0, w.length() - 1)) > 1 ? w.substring(0, w.length() - 1) : w;
    }

    /** A consonant is a letter other than a, e, i, o, u, and other than y after a consonant. */
    static boolean isConsonant(String w, int i) {
        char c = w.charAt(i);
        if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u') {
            return false;
        }
        if (c == 'y') {
            return i == 0 || !isConsonant(w, i - 1);
        }
        return true;
    }

    /** m in [C](VC)^m[V]: the number of vowel-consonant transitions. */
    static int measure(String stem) {
        int m = 0;
        for (int i = 1; i < stem.length(); i++) {
            if (!isConsonant(stem, i - 1) && isConsonant(stem, i)) {
                m++;
            }
        }
        return m;
    }

    private static boolean containsVowel(String stem) {
        for (int i = 0; i < stem.length(); i++) {
            if (!isConsonant(stem, i)) {
                return true;
            }
        }
        return false;
    }

    private static boolean endsDoubleConsonant(String w) {
        int n = w.length();
        return n >= 2 && w.charAt(n - 1) == w.charAt(n - 2) && isConsonant(w, n - 1);
    }

    /** *o: ends consonant-vowel-consonant, the last not w, x or y; NLTK also counts a two-letter vowel-consonant word. */
    private static boolean endsCvc(String w) {
        int n = w.length();
        if (n >= 3 && isConsonant(w, n - 3) && !isConsonant(w, n - 2) && isConsonant(w, n - 1)) {
            char last = w.charAt(n - 1);
            return last != 'w' && last != 'x' && last != 'y';
        }
        return n == 2 && !isConsonant(w, 0) && isConsonant(w, 1);
    }
}
