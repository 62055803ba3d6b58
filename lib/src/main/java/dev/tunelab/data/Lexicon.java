package dev.tunelab.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A sentiment word list in AFINN's format: one {@code term<TAB>score} a line, integer scores,
 * terms of one or more words ({@code "can't stand"}). {@link #score(String)} sums the scores of
 * the terms found in a text, preferring the longest term at each word, so it can serve as a
 * programmatic "gold" judge.
 */
public final class Lexicon {
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}'’-]+");

    private final String name;
    private final Map<String, Integer> scores;
    private final int longestTerm; // in words

    private Lexicon(String name, Map<String, Integer> scores) {
        this.name = name;
        this.scores = Collections.unmodifiableMap(scores);
        this.longestTerm = scores.keySet().stream().mapToInt(t -> t.split(" ").length).max().orElse(1);
    }

    /** Reads a {@code term<TAB>score} file; a bad line is an error naming the file and line. */
    public static Lexicon load(Path file) {
        try (var lines = new LineReader(Loader.open(file), 1 << 16)) {
            return new Lexicon(Loader.name(file), parse(lines, file));
        } catch (IOException e) {
            throw Loader.io(file, e);
        }
    }

    /**
     * Reads a {@code term<TAB>score} list from {@code in}, for a list that is no file of its own
     * (a classpath resource, say), and closes it. {@code source} names it in errors (as a file
     * would be named: {@code story-sentiment.txt:2: ...}) and gives the lexicon's name.
     */
    public static Lexicon read(InputStream in, String source) {
        Path shown = Path.of(source);
        try (var lines = new LineReader(new BufferedInputStream(in, 1 << 16), 1 << 16)) {
            return new Lexicon(Loader.name(shown), parse(lines, shown));
        } catch (IOException e) {
            throw Loader.io(shown, e);
        }
    }

    private static Map<String, Integer> parse(LineReader lines, Path file) throws IOException {
        Map<String, Integer> scores = new LinkedHashMap<>();
        for (LineReader.Line line; (line = lines.next()) != null; ) {
            if (line.problem() != null) throw new DataFormatException(file, line.number(), -1, null, line.problem());
            if (line.text().isBlank()) continue;
            int tab = line.text().lastIndexOf('\t');
            if (tab <= 0) throw new DataFormatException(file, line.number(), -1, null,
                    "expected term<TAB>score, got \"" + line.text() + "\"");
            String term = line.text().substring(0, tab).strip().toLowerCase(Locale.ROOT);
            int score;
            try {
                score = Integer.parseInt(line.text().substring(tab + 1).strip());
            } catch (NumberFormatException e) {
                throw new DataFormatException(file, line.number(), -1, "score",
                        "expected an integer, got \"" + line.text().substring(tab + 1) + "\"");
            }
            if (scores.put(term, score) != null) {
                throw new DataFormatException(file, line.number(), -1, "term", "\"" + term + "\" appears twice");
            }
        }
        return scores;
    }

    public String name() {
        return name;
    }

    public int size() {
        return scores.size();
    }

    /** The score of {@code term} (lower-case), or 0 when it is not in the list. */
    public int get(String term) {
        return scores.getOrDefault(term.toLowerCase(Locale.ROOT), 0);
    }

    public boolean contains(String term) {
        return scores.containsKey(term.toLowerCase(Locale.ROOT));
    }

    /** Every term with its score, in file order. */
    public Map<String, Integer> scores() {
        return scores;
    }

    /** A term found in a text: where it starts (0-based word index), how many words it spans, its score. */
    public record Match(String term, int word, int length, int score) {}

    /** The words of {@code text} as {@link #matches} counts them: lower case, letters, digits, {@code '} and {@code -}. */
    public static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT).replace('’', '\''));
        while (m.find()) words.add(m.group());
        return words;
    }

    /** The terms found in {@code text}, left to right; each word counts once, in its longest term. */
    public List<Match> matches(String text) {
        List<String> words = words(text);
        List<Match> out = new ArrayList<>();
        for (int i = 0; i < words.size(); ) {
            int used = 1;
            for (int n = Math.min(longestTerm, words.size() - i); n >= 1; n--) {
                String term = String.join(" ", words.subList(i, i + n));
                Integer s = scores.get(term);
                if (s != null) {
                    out.add(new Match(term, i, n, s));
                    used = n;
                    break;
                }
            }
            i += used;
        }
        return out;
    }

    /** The sum of the scores of the terms in {@code text}; each word counts once, in its longest term. */
    public int score(String text) {
        return matches(text).stream().mapToInt(Match::score).sum();
    }

    @Override
    public String toString() {
        return name + ": " + scores.size() + " terms";
    }
}
