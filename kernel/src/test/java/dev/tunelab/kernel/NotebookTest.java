package dev.tunelab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Executes every notebooks/*.ipynb with nbconvert on this build's kernel in smoke mode
 * (TUNELAB_SMOKE=1). A notebook fails on any error output, and on a code cell that says
 * {@code // expect: image/png} (or text/html, ...) without producing that MIME type.
 */
class NotebookTest {
    private static final Pattern EXPECT = Pattern.compile("//\\s*expect:\\s*([\\w.+-]+/[\\w.+-]+)");
    static final Path NOTEBOOKS = Jupyter.MODULE.resolveSibling("notebooks");

    @TestFactory Stream<DynamicTest> notebooks() throws Exception {
        Jupyter.requireJupyter();
        List<Path> notebooks;
        try (Stream<Path> files = Files.list(NOTEBOOKS)) {
            notebooks = files.filter(p -> p.toString().endsWith(".ipynb")).sorted().collect(Collectors.toList());
        }
        assertFalse(notebooks.isEmpty(), "no notebooks in " + NOTEBOOKS);
        return notebooks.stream().map(nb -> DynamicTest.dynamicTest(nb.getFileName().toString(), () -> execute(nb)));
    }

    private static void execute(Path notebook) throws Exception {
        Path out = Jupyter.TARGET.resolve("notebooks");
        Files.createDirectories(out);
        var env = new HashMap<>(Jupyter.kernelEnv());
        env.put("TUNELAB_SMOKE", "1");
        var outcome = Jupyter.run(List.of("/usr/bin/jupyter", "nbconvert", "--to", "notebook", "--execute",
                        "--ExecutePreprocessor.kernel_name=tunelab", "--ExecutePreprocessor.timeout=600",
                        "--output-dir", out.toString(), notebook.toString()),
                NOTEBOOKS, env, 900);
        assertEquals(0, outcome.exit(), notebook.getFileName() + " failed to execute:\n" + outcome.output());
        List<String> problems = check(Files.readString(out.resolve(notebook.getFileName())));
        assertTrue(problems.isEmpty(), notebook.getFileName() + ":\n" + String.join("\n", problems));
    }

    /** Error outputs and missing expected MIME types, one line each. */
    static List<String> check(String notebookJson) {
        List<String> problems = new ArrayList<>();
        JsonArray cells = new JsonParser().parse(notebookJson).getAsJsonObject().getAsJsonArray("cells");
        for (int i = 0; i < cells.size(); i++) {
            JsonObject cell = cells.get(i).getAsJsonObject();
            if (!cell.get("cell_type").getAsString().equals("code")) continue;
            String source = text(cell.get("source"));
            JsonArray outputs = cell.getAsJsonArray("outputs");
            List<String> mimes = new ArrayList<>();
            for (JsonElement o : outputs) {
                JsonObject output = o.getAsJsonObject();
                if (output.get("output_type").getAsString().equals("error")) {
                    problems.add("cell " + i + ": " + output.get("ename").getAsString() + ": " + output.get("evalue").getAsString());
                }
                if (output.has("data")) mimes.addAll(output.getAsJsonObject("data").keySet());
            }
            Matcher m = EXPECT.matcher(source);
            while (m.find()) {
                if (!mimes.contains(m.group(1))) problems.add("cell " + i + ": expected " + m.group(1) + " output, got " + mimes);
            }
        }
        return problems;
    }

    static String text(JsonElement source) {
        if (source.isJsonPrimitive()) return source.getAsString();
        var s = new StringBuilder();
        source.getAsJsonArray().forEach(e -> s.append(e.getAsString()));
        return s.toString();
    }
}
