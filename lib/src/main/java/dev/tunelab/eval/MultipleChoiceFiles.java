package dev.tunelab.eval;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Multiple-choice questions from JSONL, one question a line, in three shapes recognised by their fields:
 * <ul>
 *   <li>tunelab's: {@code {"context", "choices": [...], "gold": i}} (the TinyStories cloze);
 *   <li>HellaSwag ({@code rowanz/hellaswag} files and the Hub's {@code Rowan/hellaswag}):
 *       {@code {"activity_label", "ctx_a", "ctx_b", "endings": [...], "label"}}, turned into
 *       context and choices as lm-evaluation-harness's {@code hellaswag/utils.py} does:
 *       {@code activity_label + ": " + ctx_a + " " + ctx_b.capitalize()}, each text stripped,
 *       " [title]" made ". ", other bracketed tags removed and double spaces made single;
 *   <li>ARC ({@code allenai/ai2_arc} on the Hub: {@code {"question", "choices": {"text", "label"},
 *       "answerKey"}}; the original release nests them as {@code {"question": {"stem", "choices":
 *       [{"text", "label"}]}, "answerKey"}}), with the harness's context
 *       {@code "Question: " + question + "\nAnswer:"}.
 * </ul>
 * A line that fits none of them is an error naming the file, the line and what was expected.
 */
final class MultipleChoiceFiles {
    private MultipleChoiceFiles() {}

    static List<MultipleChoice.Question> load(Path file) {
        return JsonLinesFile.read(file, "{context, choices, gold}, HellaSwag's {ctx_a, ctx_b, endings, label} or ARC's "
                + "{question, choices, answerKey}", MultipleChoiceFiles::question);
    }

    static MultipleChoice.Question question(JsonNode row) {
        if (row.has("context") && row.has("choices") && row.has("gold")) {
            return new MultipleChoice.Question(row.get("context").asText(), strings(row.get("choices")), row.get("gold").asInt());
        }
        if (row.has("endings")) {
            String ctx = row.path("ctx_a").asText() + " " + capitalize(row.path("ctx_b").asText());
            if (!row.has("ctx_a")) {
                ctx = row.path("ctx").asText();
            }
            String context = hellaswagClean(row.path("activity_label").asText() + ": " + ctx);
            List<String> choices = strings(row.get("endings")).stream().map(MultipleChoiceFiles::hellaswagClean).toList();
            return new MultipleChoice.Question(context, choices, Integer.parseInt(row.get("label").asText()));
        }
        if (row.has("answerKey")) {
            JsonNode q = row.get("question");
            String stem = q.isObject() ? q.get("stem").asText() : q.asText();
            List<String> texts = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            JsonNode choices = q.isObject() ? q.get("choices") : row.get("choices");
            if (choices.isArray()) {
                choices.forEach(c -> {
                    texts.add(c.get("text").asText());
                    labels.add(c.get("label").asText());
                });
            } else {
                texts.addAll(strings(choices.get("text")));
                labels.addAll(strings(choices.get("label")));
            }
            int gold = labels.indexOf(row.get("answerKey").asText());
            if (gold < 0) {
                throw new IllegalArgumentException("answerKey '" + row.get("answerKey").asText() + "' is not one of the labels " + labels);
            }
            return new MultipleChoice.Question("Question: " + stem + "\nAnswer:", texts, gold);
        }
        List<String> fields = new ArrayList<>();
        row.fieldNames().forEachRemaining(fields::add);
        throw new IllegalArgumentException("no known multiple-choice fields among " + fields);
    }

    /** lm-evaluation-harness hellaswag/utils.py preprocess. */
    static String hellaswagClean(String text) {
        String t = text.strip().replace(" [title]", ". ");
        t = t.replaceAll("\\[.*?\\]", "");
        return t.replace("  ", " ");
    }

    /** Python's str.capitalize: first character upper case, the rest lower case. */
    static String capitalize(String s) {
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase() + s.substring(1).toLowerCase();
    }

    private static List<String> strings(JsonNode array) {
        if (array == null || !array.isArray()) {
            throw new IllegalArgumentException("expected an array, got " + array);
        }
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
