package dev.tunelab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A reader who re-runs a notebook gets the numbers it shows. Notebook 06 (PPO: sampled
 * rollouts, the reward model's scores, the KL to the reference) runs twice in smoke mode with
 * the settings a reader gets (the kernel's defaults: OMP_NUM_THREADS is not set here, so the
 * launch script's default applies), and every printed output must be the same once wall-clock
 * durations are masked. The thread count each run used is recorded in the notebook's metadata.
 */
class NotebookReproducibilityTest {
    static final String NOTEBOOK = "06-rlhf-step-by-step.ipynb";
    /** Durations and rates that depend on the machine, not on the computation. */
    static final Pattern WALL_CLOCK = Pattern.compile(
            "\\d[\\d,.]*\\s*(?:s/step|s|ms|seconds|it/s|tokens/s|tokens per second)\\b|\\d{8}-\\d{6}-[0-9a-f]+|\\d+:\\d\\d");

    @Test
    void aSamplingNotebookPrintsTheSameNumbersTwice() throws Exception {
        Jupyter.requireJupyter();
        List<String> first = printed(execute("first"));
        List<String> second = printed(execute("second"));
        assertEquals(first.size(), second.size(), "the same outputs");
        assertTrue(first.stream().anyMatch(s -> s.contains("objective/scores")), "the PPO table is among them");
        for (int i = 0; i < first.size(); i++) {
            assertEquals(first.get(i), second.get(i), NOTEBOOK + ": output " + i + " differs between two runs");
        }
    }

    private static String execute(String name) throws Exception {
        Path out = Jupyter.TARGET.resolve("reproducibility").resolve(name);
        Files.createDirectories(out);
        var env = new HashMap<>(Jupyter.kernelEnv());
        env.put("TUNELAB_SMOKE", "1");
        env.put("OMP_NUM_THREADS", ""); // not inherited from the test's environment: the launch script's default applies
        var outcome = Jupyter.run(List.of("/usr/bin/jupyter", "nbconvert", "--to", "notebook", "--execute",
                        "--ExecutePreprocessor.kernel_name=tunelab", "--ExecutePreprocessor.timeout=600",
                        "--output-dir", out.toString(), NotebookTest.NOTEBOOKS.resolve(NOTEBOOK).toString()),
                NotebookTest.NOTEBOOKS, env, 900);
        assertEquals(0, outcome.exit(), NOTEBOOK + " failed to execute:\n" + outcome.output());
        return Files.readString(out.resolve(NOTEBOOK));
    }

    /** Every text output of every code cell (stream text, text/plain, text/html), durations masked. */
    static List<String> printed(String notebookJson) {
        List<String> out = new ArrayList<>();
        JsonArray cells = new JsonParser().parse(notebookJson).getAsJsonObject().getAsJsonArray("cells");
        for (JsonElement c : cells) {
            JsonObject cell = c.getAsJsonObject();
            if (!cell.get("cell_type").getAsString().equals("code")) continue;
            for (JsonElement o : cell.getAsJsonArray("outputs")) {
                JsonObject output = o.getAsJsonObject();
                if (output.has("text")) out.add(mask(NotebookTest.text(output.get("text"))));
                if (output.has("data")) {
                    JsonObject data = output.getAsJsonObject("data");
                    for (String mime : List.of("text/plain", "text/html")) {
                        if (data.has(mime)) out.add(mask(NotebookTest.text(data.get(mime))));
                    }
                }
            }
        }
        return out;
    }

    static String mask(String s) {
        return WALL_CLOCK.matcher(s).replaceAll("#");
    }
}
