package dev.tunelab.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tunelab.LanguageModel;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Question answering with and without the passage, as a hallucination check. Each question of
 * a set such as {@code datasets/qa/tinystories-qa.jsonl} has a passage, the question, a stem a
 * story model continues ("Lily found" for "What did Lily find?") and the answers (spans of the
 * passage). The model continues the stem twice: <b>open book</b> after the passage and a blank
 * line, <b>closed book</b> alone. The answer is the continuation up to its first punctuation
 * ({@link #answer}), scored by SQuAD's exact match and token F1 ({@link Squad}); the names in it
 * that the passage never mentions are counted as unsupported ({@link UnsupportedNames}), with
 * where they appear. A model that reads the passage scores higher open book and invents fewer
 * names there; closed book shows what it makes up.
 *
 * <pre>{@code
 * var qa = OpenBookQa.load(Path.of("datasets/qa/tinystories-qa.jsonl"));
 * OpenBookQa.Result r = OpenBookQa.evaluate(lm, qa);   // greedy, at most 8 new tokens
 * r;             // one row per mode: exact match, F1, share with unsupported names
 * r.details();   // one row per question with both answers and the evidence
 * }</pre>
 */
public final class OpenBookQa {
    public static final int DEFAULT_MAX_NEW_TOKENS = 8;
    private static final Pattern ANSWER_END = Pattern.compile("[.,!?;:\"\\n]");

    /** One question: its passage, the question, the stem the model continues and the reference answers. */
    public record Example(String id, String kind, String passage, String question, String stem, List<String> answers) {
        public Example {
            answers = List.copyOf(answers);
            if (answers.isEmpty()) {
                throw new IllegalArgumentException("question " + id + " has no answer");
            }
        }
    }

    private OpenBookQa() {}

    /** Reads {@code {"id", "kind", "passage", "question", "stem", "answers"}} lines (what bin/make-qa-data writes). */
    public static List<Example> load(Path file) {
        return JsonLinesFile.read(file, "{id, kind, passage, question, stem, answers}", n -> {
            List<String> answers = new ArrayList<>();
            n.withArray("answers").forEach(a -> answers.add(a.asText()));
            return new Example(text(n, "id"), text(n, "kind"), text(n, "passage"), text(n, "question"), text(n, "stem"), answers);
        });
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("field " + field + " is missing or not a string");
        }
        return v.asText();
    }

    /** The open-book prompt: the passage, a blank line, the stem. */
    public static String openPrompt(Example e) {
        return e.passage() + "\n\n" + e.stem();
    }

    /** The closed-book prompt: the stem alone. */
    public static String closedPrompt(Example e) {
        return e.stem();
    }

    /** The answer in a continuation: the text before its first punctuation mark or line break, stripped. */
    public static String answer(String continuation) {
        var m = ANSWER_END.matcher(continuation);
        return (m.find() ? continuation.substring(0, m.start()) : continuation).strip();
    }

    /** Greedy answers of at most {@value #DEFAULT_MAX_NEW_TOKENS} new tokens, 16 prompts a batch. */
    public static Result evaluate(LanguageModel lm, List<Example> examples) {
        return evaluate(lm, examples, GenerationConfig.greedy().maxNewTokens(DEFAULT_MAX_NEW_TOKENS), 16);
    }

    public static Result evaluate(LanguageModel lm, List<Example> examples, GenerationConfig config, int batchSize) {
        List<String> open = generate(lm, examples.stream().map(OpenBookQa::openPrompt).toList(), config, batchSize);
        List<String> closed = generate(lm, examples.stream().map(OpenBookQa::closedPrompt).toList(), config, batchSize);
        return score(examples, open, closed);
    }

    private static List<String> generate(LanguageModel lm, List<String> prompts, GenerationConfig config, int batchSize) {
        List<String> out = new ArrayList<>();
        for (int from = 0; from < prompts.size(); from += batchSize) {
            for (Generation g : lm.generate(prompts.subList(from, Math.min(from + batchSize, prompts.size())), config)) {
                out.add(g.text());
            }
        }
        return out;
    }

    /** Scores continuations already made (parallel to {@code examples}): what {@link #evaluate} does after generating. */
    public static Result score(List<Example> examples, List<String> openContinuations, List<String> closedContinuations) {
        if (examples.isEmpty() || examples.size() != openContinuations.size() || examples.size() != closedContinuations.size()) {
            throw new IllegalArgumentException("examples and continuations must be non-empty parallel lists; sizes "
                    + examples.size() + ", " + openContinuations.size() + ", " + closedContinuations.size());
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            rows.add(new Row(e, side(e, openContinuations.get(i)), side(e, closedContinuations.get(i))));
        }
        return new Result(rows);
    }

    private static Answer side(Example e, String continuation) {
        String a = answer(continuation);
        return new Answer(continuation, a, Squad.exactMatch(a, e.answers()), Squad.f1(a, e.answers()),
                UnsupportedNames.check(e.passage(), a).unsupported());
    }

    /** One mode's answer to a question: the continuation, the answer cut from it, its scores and the unsupported names. */
    public record Answer(String continuation, String answer, double exactMatch, double f1, List<UnsupportedNames.Finding> unsupported) {
        public Answer {
            unsupported = List.copyOf(unsupported);
        }

        /** "Tom (0), Max (8)": each unsupported name and its offset in the answer. */
        public String evidence() {
            return String.join(", ", unsupported.stream().map(f -> f.name() + " (" + f.offset() + ")").toList());
        }
    }

    /** One question with its open-book and closed-book answers. */
    public record Row(Example example, Answer open, Answer closed) {}

    /** The answers to every question; renders as one row per mode. */
    public record Result(List<Row> rows) implements Renderable {
        public Result {
            rows = List.copyOf(rows);
        }

        private double mean(java.util.function.ToDoubleFunction<Row> f) {
            return rows.stream().mapToDouble(f).average().orElse(Double.NaN);
        }

        /** SQuAD's exact match, 0..100, open book. */
        public double openExactMatch() {
            return 100 * mean(r -> r.open().exactMatch());
        }

        public double closedExactMatch() {
            return 100 * mean(r -> r.closed().exactMatch());
        }

        /** SQuAD's token F1, 0..100, open book. */
        public double openF1() {
            return 100 * mean(r -> r.open().f1());
        }

        public double closedF1() {
            return 100 * mean(r -> r.closed().f1());
        }

        /** Share of open-book answers with a name the passage does not mention. */
        public double openUnsupportedRate() {
            return mean(r -> r.open().unsupported().isEmpty() ? 0 : 1);
        }

        public double closedUnsupportedRate() {
            return mean(r -> r.closed().unsupported().isEmpty() ? 0 : 1);
        }

        /** One row per mode: questions, exact match, F1 (both 0..100), share with unsupported names. */
        public Table table() {
            return Table.create("open vs closed book",
                    StringColumn.create("mode", "open book", "closed book"),
                    IntColumn.create("questions", rows.size(), rows.size()),
                    DoubleColumn.create("exact match", openExactMatch(), closedExactMatch()),
                    DoubleColumn.create("F1", openF1(), closedF1()),
                    DoubleColumn.create("unsupported names", openUnsupportedRate(), closedUnsupportedRate()));
        }

        /** One row per question: kind, question, reference, both answers with EM, F1 and unsupported names (offset in the answer). */
        public Table details() {
            StringColumn kind = StringColumn.create("kind");
            StringColumn question = StringColumn.create("question");
            StringColumn reference = StringColumn.create("answer");
            StringColumn open = StringColumn.create("open book");
            DoubleColumn openF1 = DoubleColumn.create("open F1");
            StringColumn openBad = StringColumn.create("open unsupported");
            StringColumn closed = StringColumn.create("closed book");
            DoubleColumn closedF1 = DoubleColumn.create("closed F1");
            StringColumn closedBad = StringColumn.create("closed unsupported");
            for (Row r : rows) {
                kind.append(r.example().kind());
                question.append(r.example().question());
                reference.append(String.join(" | ", r.example().answers()));
                open.append(r.open().answer());
                openF1.append(r.open().f1());
                openBad.append(r.open().evidence());
                closed.append(r.closed().answer());
                closedF1.append(r.closed().f1());
                closedBad.append(r.closed().evidence());
            }
            return Table.create("questions", kind, question, reference, open, openF1, openBad, closed, closedF1, closedBad);
        }

        /** Exact match by kind of question, open and closed book (0..100). */
        public Table byKind() {
            StringColumn kind = StringColumn.create("kind");
            IntColumn n = IntColumn.create("questions");
            DoubleColumn open = DoubleColumn.create("open EM");
            DoubleColumn closed = DoubleColumn.create("closed EM");
            rows.stream().map(r -> r.example().kind()).distinct().forEach(k -> {
                List<Row> of = rows.stream().filter(r -> r.example().kind().equals(k)).toList();
                kind.append(k);
                n.append(of.size());
                open.append(100 * of.stream().mapToDouble(r -> r.open().exactMatch()).average().orElseThrow());
                closed.append(100 * of.stream().mapToDouble(r -> r.closed().exactMatch()).average().orElseThrow());
            });
            return Table.create("exact match by kind", kind, n, open, closed);
        }

        @Override
        public Map<String, String> mimeBundle() {
            return Tables.mimeBundle(table(), Tables.DEFAULT_MAX_ROWS);
        }
    }
}
