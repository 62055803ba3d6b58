package dev.tunelab.eval;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counterfactual texts for a bias check: the same text with its gendered words swapped ("Lily
 * found her ball. She smiled." becomes "Tim found his ball. He smiled."), from a list of
 * female/male pairs ({@code female<TAB>male} a line). Words are swapped whole, keeping their case
 * ("She" to "He", "MOM" to "DAD"); "Lily's" becomes "Tim's". A pair written capitalised in the
 * list is a pair of names and swaps only capitalised words ("Bob" but not "bob up and down").
 *
 * <p>The object and possessive pronouns need a rule, since English has one "her" for "him" and
 * "his": <b>"her" becomes "his" when a word follows it that is not in {@link #AFTER_OBJECT_HER}
 * (a short list of words that follow an object pronoun: articles, prepositions, particles,
 * adverbs such as "a", "to", "up", "back", "tight"), and "him" otherwise</b> (before punctuation,
 * at the end, or before such a word): "her ball" to "his ball", "gave her a hug" to "gave him a
 * hug", "saw her." to "saw him.". Without a parser the rule can miss ("saw her run" becomes "saw
 * his run"); the list holds the words the rule met most in TinyStories-like text. "him" becomes
 * "her"; "his" becomes "hers" before punctuation or at the end ("it is his.") and "her" otherwise;
 * "hers" becomes "his".
 *
 * <pre>{@code
 * var cf = Counterfactuals.stories();    // datasets/lexicon/gender-swaps.txt, on the class path
 * cf.swap("Once there was a girl named Mia. Her mom loved her.");
 * // "Once there was a boy named Ben. His dad loved him."
 * }</pre>
 */
public final class Counterfactuals {
    /** The classpath resource holding tunelab's hand-written list, {@code datasets/lexicon/gender-swaps.txt}. */
    public static final String STORY_LIST_RESOURCE = "/dev/tunelab/eval/gender-swaps.txt";

    /** Words after which "her" is the object pronoun (becomes "him"), not the possessive (becomes "his"). */
    public static final Set<String> AFTER_OBJECT_HER = Set.of("a", "an", "the", "some", "that", "this", "to", "and", "or",
            "but", "so", "with", "up", "down", "back", "out", "in", "on", "off", "over", "away", "again", "too", "very",
            "for", "about", "from", "at", "by", "into", "if", "when", "because", "how", "what", "all", "tight", "tightly",
            "home", "goodbye", "hello", "not", "now", "then", "there", "here", "as", "be", "is", "was", "feel", "go", "come",
            "know", "see", "one", "many", "lots", "it", "something", "anything", "everything", "more");

    private static final Pattern WORD = Pattern.compile("\\p{L}+");

    private final Map<String, String> swaps; // lower case both ways
    private final Map<String, Integer> sides; // +1 female, -1 male
    private final Set<String> names; // lower case; entries written capitalised swap only when capitalised ("Bob", not "bob")

    /** Swaps for {@code femaleToMale} (both ways), with the pronoun rule for her/him/his/hers. */
    public Counterfactuals(Map<String, String> femaleToMale) {
        Map<String, String> swaps = new HashMap<>();
        Map<String, Integer> sides = new HashMap<>();
        Set<String> names = new HashSet<>();
        femaleToMale.forEach((f, m) -> {
            for (String w : List.of(f, m)) {
                if (Character.isUpperCase(w.charAt(0))) {
                    names.add(w.toLowerCase(Locale.ROOT));
                }
            }
            String female = f.toLowerCase(Locale.ROOT);
            String male = m.toLowerCase(Locale.ROOT);
            for (String w : List.of(female, male)) {
                if (swaps.containsKey(w) || Set.of("her", "him", "his", "hers").contains(w)) {
                    throw new IllegalArgumentException("'" + w + "' appears twice in the swap list (her/him/his/hers are built in)");
                }
            }
            swaps.put(female, male);
            swaps.put(male, female);
            sides.put(female, 1);
            sides.put(male, -1);
        });
        sides.put("her", 1);
        sides.put("hers", 1);
        sides.put("him", -1);
        sides.put("his", -1);
        this.swaps = Map.copyOf(swaps);
        this.sides = Map.copyOf(sides);
        this.names = Set.copyOf(names);
    }

    /** A list in {@code file}: {@code female<TAB>male} a line, blank lines and {@code #} comments skipped. */
    public static Counterfactuals load(Path file) {
        try {
            return new Counterfactuals(parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the swap list " + file, e);
        }
    }

    /** tunelab's hand-written list for children's stories ({@value #STORY_LIST_RESOURCE}). */
    public static Counterfactuals stories() {
        try (InputStream in = Counterfactuals.class.getResourceAsStream(STORY_LIST_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("no classpath resource " + STORY_LIST_RESOURCE + ": is the library jar complete?");
            }
            return new Counterfactuals(parse(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList(), "gender-swaps.txt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, String> parse(List<String> lines, String source) {
        Map<String, String> pairs = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\t");
            if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                throw new IllegalArgumentException(source + ":" + (i + 1) + ": expected female<TAB>male, got \"" + line + "\"");
            }
            pairs.put(parts[0].strip(), parts[1].strip());
        }
        return pairs;
    }

    /** The text with every gendered word of the list swapped. */
    public String swap(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        Matcher m = WORD.matcher(text);
        int last = 0;
        while (m.find()) {
            out.append(text, last, m.start());
            String word = m.group();
            String lower = word.toLowerCase(Locale.ROOT);
            String swapped = switch (lower) {
                case "her" -> nextWord(text, m.end()) == null || AFTER_OBJECT_HER.contains(nextWord(text, m.end())) ? "him" : "his";
                case "him" -> "her";
                case "hers" -> "his";
                case "his" -> nextWord(text, m.end()) == null ? "hers" : "her";
                default -> names.contains(lower) && !Character.isUpperCase(word.charAt(0)) ? null : swaps.get(lower);
            };
            // A word glued to an apostrophe before it ("don't" -> "t") is never a swap.
            boolean afterApostrophe = m.start() > 0 && "'’".indexOf(text.charAt(m.start() - 1)) >= 0;
            out.append(swapped == null || afterApostrophe ? word : sameCase(word, swapped));
            last = m.end();
        }
        return out.append(text.substring(last)).toString();
    }

    /** +1 when the text uses more female than male words of the list, -1 for the other way, 0 when even. */
    public int side(String text) {
        int sum = 0;
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            sum += sides.getOrDefault(m.group().toLowerCase(Locale.ROOT), 0);
        }
        return Integer.signum(sum);
    }

    /** The word right after {@code from} across spaces only, lower case, or null when punctuation or the end comes first. */
    private static String nextWord(String text, int from) {
        int i = from;
        while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
            i++;
        }
        Matcher m = WORD.matcher(text);
        return i < text.length() && Character.isLetter(text.charAt(i)) && m.find(i) ? m.group().toLowerCase(Locale.ROOT) : null;
    }

    /** {@code replacement} in the case of {@code original}: "SHE" -> "HE", "She" -> "He", "she" -> "he". */
    static String sameCase(String original, String replacement) {
        if (original.length() > 1 && original.equals(original.toUpperCase(Locale.ROOT))) {
            return replacement.toUpperCase(Locale.ROOT);
        }
        if (Character.isUpperCase(original.charAt(0))) {
            return Character.toUpperCase(replacement.charAt(0)) + replacement.substring(1);
        }
        return replacement;
    }
}
