package dev.tunelab.recipes.stories;

import dev.tunelab.data.AlpacaExample;
import dev.tunelab.distill.Check;
import dev.tunelab.distill.TeacherTask;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One instruction of the story task set: what a student is asked ({@link #instruction()}), the
 * opening the teacher is given instead ({@link #opening()}, since a base model follows no
 * instructions), the words the story is about ({@link #slots()}) and the checks the teacher's
 * continuation must pass. Built by {@link StoryTasks}.
 */
public record StoryTask(String kind, String instruction, String opening, Map<String, String> slots, List<Check> checks)
        implements TeacherTask {
    public StoryTask {
        slots = Collections.unmodifiableMap(new LinkedHashMap<>(slots));
        checks = List.copyOf(checks);
    }

    @Override
    public String prompt() {
        return opening;
    }

    @Override
    public String group() {
        return kind;
    }

    /** The training row: Alpaca's instruction, input (empty) and output (the whole story). */
    public AlpacaExample example(String completion) {
        return new AlpacaExample(instruction, "", opening + completion);
    }

    /**
     * The row as the committed JSONL writes it: Alpaca's three fields, then {@code kind}, the
     * slots and the {@code opening}, so that anyone can re-run the checks on the row alone.
     */
    @Override
    public Map<String, String> row(String completion) {
        Map<String, String> m = new LinkedHashMap<>(example(completion).columns());
        m.put("kind", kind);
        m.putAll(slots);
        m.put("opening", opening);
        return m;
    }

    /**
     * This task put to a fine-tuned model: {@code prompt} is the instruction in the model's
     * template, the completion is the whole story, and every check reads it (the checks look at
     * the completion), as they read the generated stories in notebook 02. The row is Alpaca's
     * (instruction, input, output = the story) with the kind and slots, like {@link #row}.
     */
    public TeacherTask asInstruction(String prompt) {
        StoryTask task = this;
        return new TeacherTask() {
            @Override
            public String prompt() {
                return prompt;
            }

            @Override
            public List<Check> checks() {
                return checks;
            }

            @Override
            public String group() {
                return kind;
            }

            @Override
            public Map<String, String> row(String completion) {
                Map<String, String> m = new LinkedHashMap<>(new AlpacaExample(instruction, "", completion).columns());
                m.put("kind", kind);
                m.putAll(slots);
                return m;
            }

            @Override
            public String toString() {
                return "instruction(" + task.instruction() + ")";
            }
        };
    }
}
