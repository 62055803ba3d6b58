package dev.tunelab.data;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A preference pair: one prompt and two completions of it, the preferred one first.
 * For HH-RLHF the prompt is the dialogue up to and including the last {@code "\n\nAssistant:"}
 * and the completions are what follows it (with their leading space, as in the data).
 */
public record PreferenceExample(String prompt, String chosen, String rejected) implements Example {
    public PreferenceExample {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(chosen, "chosen");
        Objects.requireNonNull(rejected, "rejected");
    }

    /** The prompt followed by the chosen completion. */
    public String chosenText() {
        return prompt + chosen;
    }

    /** The prompt followed by the rejected completion. */
    public String rejectedText() {
        return prompt + rejected;
    }

    @Override
    public String text() {
        return prompt + chosen + rejected;
    }

    @Override
    public Map<String, String> columns() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("prompt", prompt);
        m.put("chosen", chosen);
        m.put("rejected", rejected);
        return m;
    }
}
