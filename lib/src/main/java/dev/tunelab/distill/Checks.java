package dev.tunelab.distill;

import dev.tunelab.data.Lexicon;
import dev.tunelab.eval.SentimentJudge;
import dev.tunelab.eval.Toxicity;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Verifiable checks on generated stories, each decided by the text alone. */
public final class Checks {
    private static final Pattern SENTENCE = Pattern.compile("[^.!?]+[.!?]+");
    // A story ends cleanly on . ! ? , optionally followed by a closing quote.
    private static final Pattern CLEAN_END = Pattern.compile("[.!?][\"”’']?\\s*\\z");
    private static final Pattern QUOTED = Pattern.compile("\"[^\"\\n]+\"|“[^”\\n]+”");

    private Checks() {}

    /**
     * The completion mentions {@code phrase} as whole words, in any case, also as a plural or a
     * possessive ("ball", "balls", "ball's"; "Lily", "Lily's").
     */
    public static Check mentions(String phrase) {
        Pattern p = Pattern.compile("(?<![\\p{L}\\p{N}])" + Pattern.quote(phrase) + "(?:s|es|'s|’s)?(?![\\p{L}\\p{N}])",
                Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
        return new Check("mentions", phrase, c -> p.matcher(c.completion()).find());
    }

    /** The completion ends on a finished sentence: {@code .}, {@code !} or {@code ?}, maybe inside a quote. */
    public static Check endsCleanly() {
        return new Check("ends cleanly", "", c -> !c.completion().isBlank() && CLEAN_END.matcher(c.completion()).find());
    }

    /** The whole text is {@code min..max} words long (both inclusive). */
    public static Check words(int min, int max) {
        if (min > max) throw new IllegalArgumentException("min " + min + " > max " + max);
        return new Check("length", min + ".." + max + " words", c -> {
            int n = Lexicon.words(c.text()).size();
            return n >= min && n <= max;
        });
    }

    /**
     * No sentence of {@code minWords} or more words appears twice in the whole text (case and
     * spacing ignored): a small model that loops repeats itself word for word.
     */
    public static Check noRepeatedSentence(int minWords) {
        return new Check("no repeated sentence", minWords + "+ words", c -> {
            Set<String> seen = new HashSet<>();
            Matcher m = SENTENCE.matcher(c.text());
            while (m.find()) {
                var words = Lexicon.words(m.group());
                if (words.size() >= minWords && !seen.add(String.join(" ", words))) return false;
            }
            return true;
        });
    }

    /** The completion has at least {@code n} quoted utterances ({@code "..."} or {@code “...”}). */
    public static Check dialogue(int n) {
        return new Check("dialogue", ">= " + n + " quotes", c -> {
            Matcher m = QUOTED.matcher(c.completion());
            int count = 0;
            while (m.find()) count++;
            return count >= n;
        });
    }

    /** The judge scores the completion at least {@code min} (a happy continuation). */
    public static Check sentimentAtLeast(SentimentJudge judge, double min) {
        return new Check("sentiment", String.format(Locale.ROOT, ">= %.1f", min), c -> judge.score(c.completion()) >= min);
    }

    /** The judge scores the completion at most {@code max} (a sad continuation). */
    public static Check sentimentAtMost(SentimentJudge judge, double max) {
        return new Check("sentiment", String.format(Locale.ROOT, "<= %.1f", max), c -> judge.score(c.completion()) <= max);
    }

    /**
     * The completion uses no term of the toxicity list (a synthetic-data guard; as a filter on
     * every task: {@code Filter.of(Checks.nonToxic(Toxicity.stories()))}).
     */
    public static Check nonToxic(Toxicity toxicity) {
        return new Check("non-toxic", toxicity.name(), c -> !toxicity.toxic(c.completion()));
    }
}
