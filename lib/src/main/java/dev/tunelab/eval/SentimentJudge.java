package dev.tunelab.eval;

import dev.tunelab.data.Lexicon;
import dev.tunelab.display.Numbers;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * A programmatic "gold" judge of a story's mood: the sum of the lexicon scores of the words it
 * uses, a term's score turned and damped when a negation comes shortly before it in the same
 * sentence ("she was not happy"). Cheap, deterministic and transparent, so it can stand in for a
 * reward model in preference and RL experiments where the true reward must be known.
 *
 * <pre>{@code
 * var judge = SentimentJudge.stories();           // the story lexicon packaged with the library
 * judge.score("Lily was not sad. She smiled.");   // -0.74 * -2 + 2 = 3.48
 * var mine = SentimentJudge.load(Path.of("my-lexicon.txt"));   // any list in AFINN's format
 * }</pre>
 */
public final class SentimentJudge {
    /**
     * The classpath resource holding the lexicon written for tunelab's story tasks: the
     * repository's {@code datasets/lexicon/story-sentiment.txt}, packaged into the library's jar
     * by the build.
     */
    public static final String STORY_LEXICON_RESOURCE = "/dev/tunelab/eval/story-sentiment.txt";

    // VADER (Hutto & Gilbert 2014, vaderSentiment.py N_SCALAR): a negated term keeps -0.74 of its score.
    public static final double NEGATION_FACTOR = -0.74;
    // VADER looks for a negation among the three words before a term.
    public static final int NEGATION_WINDOW = 3;

    private static final Set<String> NEGATIONS = Set.of("not", "no", "never", "nobody", "nothing", "without", "cannot");
    private static final Pattern SENTENCE_END = Pattern.compile("[.!?;\\n]+");

    private final Lexicon lexicon;

    public SentimentJudge(Lexicon lexicon) {
        this.lexicon = lexicon;
    }

    /** A judge with the lexicon in {@code file} (AFINN's {@code term<TAB>score} format). */
    public static SentimentJudge load(Path file) {
        return new SentimentJudge(Lexicon.load(file));
    }

    /**
     * A judge with the lexicon in the classpath resource {@code name} (an absolute resource name,
     * as {@link Class#getResourceAsStream} takes it: {@code "/my/package/lexicon.txt"}).
     */
    public static SentimentJudge loadResource(String name) {
        InputStream in = SentimentJudge.class.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalArgumentException("no classpath resource " + name
                    + ": use SentimentJudge.load(path) for a lexicon file");
        }
        return new SentimentJudge(Lexicon.read(in, name.substring(name.lastIndexOf('/') + 1)));
    }

    /**
     * The judge with tunelab's story lexicon ({@value #STORY_LEXICON_RESOURCE}, on the class path
     * with the library), whatever the working directory.
     */
    public static SentimentJudge stories() {
        return loadResource(STORY_LEXICON_RESOURCE);
    }

    public Lexicon lexicon() {
        return lexicon;
    }

    /** The story's score: positive for a happy story, negative for a sad one, 0 for none of the lexicon's words. */
    public double score(String text) {
        return judge(text).score();
    }

    /** The score with every term that counted, for a look at why. */
    public Verdict judge(String text) {
        List<Hit> hits = new ArrayList<>();
        int words = 0;
        for (String sentence : SENTENCE_END.split(text)) {
            List<String> w = Lexicon.words(sentence);
            for (Lexicon.Match m : lexicon.matches(sentence)) {
                boolean negated = false;
                for (int i = Math.max(0, m.word() - NEGATION_WINDOW); i < m.word(); i++) {
                    negated |= isNegation(w.get(i));
                }
                hits.add(new Hit(m.term(), m.score(), negated, negated ? NEGATION_FACTOR * m.score() : m.score()));
            }
            words += w.size();
        }
        return new Verdict(hits.stream().mapToDouble(Hit::value).sum(), words, hits);
    }

    /** "not", "never"..., and any contraction in n't ("didn't", "wasn't", "can't"). */
    static boolean isNegation(String word) {
        return NEGATIONS.contains(word) || word.endsWith("n't");
    }

    /** One lexicon term found in a text: its score, whether a negation turned it, what it counted. */
    public record Hit(String term, int score, boolean negated, double value) {}

    /** A text's score, its length in words and the terms behind the score; renders as a table in a notebook. */
    public record Verdict(double score, int words, List<Hit> hits) implements Renderable {
        public Verdict {
            hits = List.copyOf(hits);
        }

        /** The score per word, comparable between texts of different lengths. */
        public double perWord() {
            return words == 0 ? 0 : score / words;
        }

        public Table table() {
            Table t = Table.create("sentiment " + Numbers.format(score) + " over " + Numbers.format((long) words) + " words");
            t.addColumns(StringColumn.create("term", hits.stream().map(Hit::term).toList()),
                    IntColumn.create("score", hits.stream().mapToInt(Hit::score).toArray()),
                    StringColumn.create("negated", hits.stream().map(h -> h.negated() ? "yes" : "").toList()),
                    DoubleColumn.create("counts", hits.stream().mapToDouble(Hit::value).toArray()));
            return t;
        }

        @Override
        public Map<String, String> mimeBundle() {
            return Tables.mimeBundle(table(), 40);
        }

        @Override
        public String toString() {
            return "sentiment " + Numbers.format(score) + " (" + Numbers.format((long) hits.size()) + " terms, "
                    + Numbers.format((long) words) + " words)";
        }
    }
}
