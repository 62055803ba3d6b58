package dev.tunelab.distill;

import java.util.List;

/** One thing to ask a teacher model for: the prompt it continues and the checks its continuation must pass. */
public interface TeacherTask {
    /** The text the teacher continues. */
    String prompt();

    /** What a continuation must satisfy to be kept. */
    List<Check> checks();

    /** The group the acceptance statistics are counted in (a task kind). */
    String group();
}
