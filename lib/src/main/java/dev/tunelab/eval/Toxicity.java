package dev.tunelab.eval;

import dev.tunelab.display.Numbers;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * A word-list toxicity classifier: a text is toxic when it uses a term of the list (as whole
 * words, in any case; a term of several words matches them in order, any spacing between them).
 * Each hit keeps its evidence: the term and the character offset where the text uses it. Over a
 * set of texts, {@link #rate} gives the share flagged with a Wilson score interval and the worst
 * texts. It is a lexical flag, not a judgement of intent: "I hate rain" counts as one hit.
 *
 * <pre>{@code
 * var tox = Toxicity.stories();                   // datasets/lexicon/toxicity.txt, on the class path
 * tox.score("You are so stupid! Go away.");      // 1 hit: stupid at 11
 * tox.rate(completions).worst(5);                 // share flagged, its interval, the worst texts
 * var judge = SentimentJudge.stories();
 * RewardFunction r = tox.penalized((p, c) -> judge.score(c), 2.0);   // sentiment minus 2 per hit
 * }</pre>
 */
public final class Toxicity {
    /** The classpath resource holding tunelab's hand-written list, {@code datasets/lexicon/toxicity.txt} packaged by the build. */
    public static final String STORY_LIST_RESOURCE = "/dev/tunelab/eval/toxicity.txt";

    // 95% two-sided normal quantile, scipy.stats.norm.ppf(0.975).
    static final double Z95 = 1.959963984540054;

    private final String name;
    private final List<String> terms;
    private final Pattern pattern;

    /** A classifier for {@code terms} (lower-cased, blank ones dropped); {@code name} labels its tables. */
    public Toxicity(String name, List<String> terms) {
        Set<String> unique = new LinkedHashSet<>();
        for (String t : terms) {
            String term = t.strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
            if (!term.isEmpty()) {
                unique.add(term);
            }
        }
        if (unique.isEmpty()) {
            throw new IllegalArgumentException("the toxicity list " + name + " has no terms");
        }
        this.name = name;
        this.terms = List.copyOf(unique);
        // Longest terms first, so "beat you up" wins over "beat you" at the same place.
        List<String> alternatives = this.terms.stream().sorted(Comparator.comparingInt(String::length).reversed())
                .map(t -> String.join("\\s+", Arrays.stream(t.split(" ")).map(Pattern::quote).toList()))
                .toList();
        this.pattern = Pattern.compile("(?<![\\p{L}\\p{N}'’])(?:" + String.join("|", alternatives) + ")(?![\\p{L}\\p{N}]|['’][\\p{L}])",
                Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }

    /** A classifier with the list in {@code file}: one term a line, blank lines and {@code #} comments skipped. */
    public static Toxicity load(Path file) {
        try {
            return new Toxicity(file.getFileName().toString(), parse(Files.readAllLines(file, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the toxicity list " + file, e);
        }
    }

    /** The classifier with tunelab's hand-written list for children's stories ({@value #STORY_LIST_RESOURCE}). */
    public static Toxicity stories() {
        try (InputStream in = Toxicity.class.getResourceAsStream(STORY_LIST_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("no classpath resource " + STORY_LIST_RESOURCE + ": is the library jar complete?");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Toxicity("toxicity.txt", parse(text.lines().toList()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> parse(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            int hash = line.indexOf('#');
            String term = (hash >= 0 ? line.substring(0, hash) : line).strip();
            if (!term.isEmpty()) {
                out.add(term);
            }
        }
        return out;
    }

    public String name() {
        return name;
    }

    /** The terms, lower case, in file order. */
    public List<String> terms() {
        return terms;
    }

    /** One term found in a text: the term of the list and where the text uses it (character offset). */
    public record Hit(String term, int offset) {}

    /** A text and the terms it uses, left to right. */
    public record Verdict(String text, List<Hit> hits) {
        public Verdict {
            hits = List.copyOf(hits);
        }

        public boolean toxic() {
            return !hits.isEmpty();
        }

        public int count() {
            return hits.size();
        }

        /** "stupid (11), shut up (30)". */
        public String evidence() {
            return String.join(", ", hits.stream().map(h -> h.term() + " (" + h.offset() + ")").toList());
        }
    }

    /** The terms {@code text} uses, each place counted once, in its longest term. */
    public Verdict score(String text) {
        List<Hit> hits = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            hits.add(new Hit(m.group().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").replace('’', '\''), m.start()));
        }
        return new Verdict(text, hits);
    }

    public boolean toxic(String text) {
        return score(text).toxic();
    }

    /** The share of {@code texts} with at least one hit, with a 95% Wilson interval and every verdict. */
    public Rate rate(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts: the toxicity rate of nothing is undefined");
        }
        return new Rate(name, texts.stream().map(this::score).toList());
    }

    /** A reward that is minus the number of hits in the completion: 0 for a clean text. */
    public RewardFunction penalty() {
        return (prompt, completion) -> -score(completion).count();
    }

    /** {@code reward} minus {@code weight} per hit in the completion, e.g. a sentiment reward that toxic words cannot buy. */
    public RewardFunction penalized(RewardFunction reward, double weight) {
        return (prompt, completion) -> reward.score(prompt, completion) - weight * score(completion).count();
    }

    /**
     * The Wilson score interval of a proportion (Wilson 1927; the "wilson" method of
     * statsmodels.stats.proportion.proportion_confint): {@code [lower, upper]} for {@code k} of {@code n}.
     */
    public static double[] wilson(int k, int n, double z) {
        if (n <= 0 || k < 0 || k > n) {
            throw new IllegalArgumentException("need 0 <= k <= n and n > 0, got k=" + k + " n=" + n);
        }
        double p = (double) k / n;
        double z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z / (1 + z2 / n) * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
    }

    /** The result over a set of texts; renders as its summary row. */
    public record Rate(String list, List<Verdict> verdicts) implements Renderable {
        public Rate {
            verdicts = List.copyOf(verdicts);
        }

        public int flagged() {
            return (int) verdicts.stream().filter(Verdict::toxic).count();
        }

        /** Share of texts with at least one hit. */
        public double rate() {
            return flagged() / (double) verdicts.size();
        }

        /** The 95% Wilson interval of the rate, {@code [lower, upper]}. */
        public double[] interval() {
            return wilson(flagged(), verdicts.size(), Z95);
        }

        /** Hits per text, on average. */
        public double meanHits() {
            return verdicts.stream().mapToInt(Verdict::count).average().orElse(Double.NaN);
        }

        /** The {@code k} texts with the most hits (ties in input order), only those with a hit. */
        public Table worst(int k) {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < verdicts.size(); i++) {
                if (verdicts.get(i).toxic()) {
                    order.add(i);
                }
            }
            order.sort(Comparator.comparingInt((Integer i) -> -verdicts.get(i).count()));
            IntColumn index = IntColumn.create("#");
            IntColumn hits = IntColumn.create("hits");
            StringColumn evidence = StringColumn.create("terms (offset)");
            StringColumn text = StringColumn.create("text");
            for (int i : order.subList(0, Math.min(k, order.size()))) {
                index.append(i);
                hits.append(verdicts.get(i).count());
                evidence.append(verdicts.get(i).evidence());
                text.append(verdicts.get(i).text());
            }
            return Table.create("most toxic texts (" + list + ")", index, hits, evidence, text);
        }

        /** One row: texts, flagged, rate, its 95% interval, mean hits. */
        public Table table() {
            double[] ci = interval();
            return Table.create("toxicity (" + list + ")", IntColumn.create("texts", verdicts.size()),
                    IntColumn.create("flagged", flagged()), DoubleColumn.create("rate", rate()),
                    DoubleColumn.create("95% low", ci[0]), DoubleColumn.create("95% high", ci[1]),
                    DoubleColumn.create("mean hits", meanHits()));
        }

        @Override
        public Map<String, String> mimeBundle() {
            return Tables.mimeBundle(table(), Tables.DEFAULT_MAX_ROWS);
        }

        @Override
        public String toString() {
            double[] ci = interval();
            return "toxicity " + Numbers.format((long) flagged()) + "/" + Numbers.format((long) verdicts.size()) + " = "
                    + String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", rate(), ci[0], ci[1]);
        }
    }
}
