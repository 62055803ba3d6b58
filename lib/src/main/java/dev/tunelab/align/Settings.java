package dev.tunelab.align;

import dev.tunelab.peft.PeftModel;
import dev.tunelab.track.Run;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the alignment configs and RL trainers share: a count check and the run record they start. */
final class Settings {
    private Settings() {}

    /** {@code v}, or a clear error when it is below 1. */
    static int positive(int v, String name) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + v);
        }
        return v;
    }

    /** The run of an RL trainer: its settings under {@code section}, the model, the adapter, the prompt count. */
    static Run startRun(String section, Map<String, Object> settings, PeftModel policy, int prompts,
            String runName, Path runsDir) {
        Map<String, Object> recorded = new LinkedHashMap<>();
        recorded.put(section, settings);
        recorded.put("model", policy.model().config().toJson());
        recorded.put("adapter", policy.config().toString());
        recorded.put("prompts", prompts);
        return Run.builder(runName).runsDir(runsDir).config(recorded).start();
    }
}
