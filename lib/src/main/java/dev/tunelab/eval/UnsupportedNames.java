package dev.tunelab.eval;

import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.util.ArrayList;
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
 * A hallucination check for grounded text: the names an output uses that its source (the prompt,
 * or the passage it should answer from) never mentions. A name is a capitalised word that is not
 * a common sentence opener ("The", "She", "Once", ...; {@link #NOT_NAMES}); it is supported when
 * the source contains it as a word, in any case. Each finding keeps the evidence: the name and
 * the character offset where the output uses it.
 *
 * <pre>{@code
 * var r = UnsupportedNames.check(prompts, outputs);
 * r.rate();       // fraction of outputs with at least one unsupported name
 * r.table();      // one row per output: the unsupported names and where they appear
 * }</pre>
 */
public final class UnsupportedNames {
    /** Capitalised words that open sentences or address family in the stories, never names of their own. */
    public static final Set<String> NOT_NAMES = Set.of("The", "A", "An", "Once", "One", "Then", "When", "After", "But", "And",
            "So", "She", "He", "They", "It", "We", "You", "I", "His", "Her", "Their", "Our", "My", "Your", "This", "That",
            "These", "Those", "There", "Here", "Every", "Each", "Some", "All", "At", "In", "On", "As", "If", "Later", "Soon",
            "Finally", "Suddenly", "Now", "Today", "Yes", "No", "Oh", "Wow", "Please", "Thank", "Thanks", "Let", "Let's",
            "What", "Why", "How", "Where", "Who", "Can", "Do", "Don't", "Look", "Come", "Hello", "Hi", "Mom", "Dad",
            "Mommy", "Daddy", "Mama", "Papa", "Grandma", "Grandpa", "Mr", "Mrs", "Ms", "Miss", "Sir", "Not", "From",
            "With", "Because", "While", "Together", "Good", "Okay", "OK", "Sorry", "Maybe", "Even", "Just", "Also", "Inside",
            "Outside", "Before", "Again", "Sometimes", "Sure", "Hey", "Are", "Is", "Will", "Would", "Could", "Did", "Was");
    private static final Pattern CAPITALISED = Pattern.compile("\\b[A-Z][a-zA-Z']*\\b");
    private static final Pattern WORD = Pattern.compile("[A-Za-z']+");

    /** One unsupported name and where the output uses it first. */
    public record Finding(String name, int offset) {}

    /** One output's findings. */
    public record Example(String source, String output, List<Finding> unsupported, int names) {}

    /** The result over a set of outputs. */
    public record Result(List<Example> examples) implements Renderable {
        /** Fraction of outputs with at least one unsupported name. */
        public double rate() {
            return examples.stream().filter(e -> !e.unsupported().isEmpty()).count() / (double) examples.size();
        }

        /** Unsupported names per output, on average. */
        public double meanUnsupported() {
            return examples.stream().mapToInt(e -> e.unsupported().size()).average().orElse(Double.NaN);
        }

        /** One row per output: names used, the unsupported ones with their offsets, the output. */
        public Table table() {
            IntColumn names = IntColumn.create("names");
            IntColumn bad = IntColumn.create("unsupported");
            StringColumn evidence = StringColumn.create("unsupported (offset)");
            StringColumn output = StringColumn.create("output");
            for (Example e : examples) {
                names.append(e.names());
                bad.append(e.unsupported().size());
                evidence.append(String.join(", ", e.unsupported().stream().map(f -> f.name() + " (" + f.offset() + ")").toList()));
                output.append(e.output());
            }
            return Table.create("unsupported names", names, bad, evidence, output);
        }

        /** Rate and mean over all outputs, one row. */
        public Table summary() {
            return Table.create("unsupported names: summary", IntColumn.create("outputs", examples.size()),
                    DoubleColumn.create("rate", rate()), DoubleColumn.create("mean unsupported", meanUnsupported()));
        }

        @Override
        public Map<String, String> mimeBundle() {
            return Tables.mimeBundle(table(), Tables.DEFAULT_MAX_ROWS);
        }
    }

    private UnsupportedNames() {}

    /** Checks each output against its source (parallel lists). */
    public static Result check(List<String> sources, List<String> outputs) {
        if (sources.size() != outputs.size() || sources.isEmpty()) {
            throw new IllegalArgumentException("sources and outputs must be non-empty parallel lists; sizes " + sources.size()
                    + ", " + outputs.size());
        }
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            out.add(check(sources.get(i), outputs.get(i)));
        }
        return new Result(out);
    }

    public static Example check(String source, String output) {
        Set<String> sourceWords = new LinkedHashSet<>();
        Matcher w = WORD.matcher(source);
        while (w.find()) {
            sourceWords.add(w.group().toLowerCase(Locale.ROOT));
        }
        Set<String> seen = new LinkedHashSet<>();
        List<Finding> unsupported = new ArrayList<>();
        Matcher m = CAPITALISED.matcher(output);
        while (m.find()) {
            String name = m.group();
            if (name.endsWith("'s")) {
                name = name.substring(0, name.length() - 2);
            }
            if (NOT_NAMES.contains(name) || !seen.add(name)) {
                continue;
            }
            if (!sourceWords.contains(name.toLowerCase(Locale.ROOT))) {
                unsupported.add(new Finding(name, m.start()));
            }
        }
        return new Example(source, output, unsupported, seen.size());
    }
}
