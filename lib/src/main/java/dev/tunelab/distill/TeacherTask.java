package dev.tunelab.distill;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One thing to ask a teacher model for: the prompt it continues and the checks its continuation must pass. */
public interface TeacherTask {
    /** The text the teacher continues. */
    String prompt();

    /** What a continuation must satisfy to be kept. */
    List<Check> checks();

    /** The group the acceptance statistics are counted in (a task kind). */
    String group();

    /**
     * The data-set row for a kept {@code completion} ({@link SyntheticSet#writeJsonl}): by default
     * {@code prompt} and {@code completion}; a task set that trains instruction following writes
     * Alpaca's fields (the story tasks of the recipes module add their kind and slots).
     */
    default Map<String, String> row(String completion) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("prompt", prompt());
        m.put("completion", completion);
        return m;
    }
}
