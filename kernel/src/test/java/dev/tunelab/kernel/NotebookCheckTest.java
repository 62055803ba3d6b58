package dev.tunelab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The notebook checker itself: errors and missing expected outputs are reported. */
class NotebookCheckTest {
    private static String notebook(String source, String outputs) {
        return "{\"cells\": [{\"cell_type\": \"code\", \"source\": [" + source + "], \"outputs\": [" + outputs + "]}]}";
    }

    @Test void passesWhenExpectedMimeIsThere() {
        String png = "{\"output_type\": \"execute_result\", \"data\": {\"image/png\": \"x\", \"text/plain\": \"c\"}}";
        assertEquals(List.of(), NotebookTest.check(notebook("\"// expect: image/png\\n\", \"chart\"", png)));
    }

    @Test void reportsMissingMime() {
        String text = "{\"output_type\": \"execute_result\", \"data\": {\"text/plain\": \"c\"}}";
        assertEquals(List.of("cell 0: expected image/png output, got [text/plain]"),
                NotebookTest.check(notebook("\"// expect: image/png\\nchart\"", text)));
    }

    @Test void reportsErrors() {
        String error = "{\"output_type\": \"error\", \"ename\": \"java.lang.RuntimeException\", \"evalue\": \"boom\", \"traceback\": []}";
        assertEquals(List.of("cell 0: java.lang.RuntimeException: boom"), NotebookTest.check(notebook("\"x\"", error)));
    }
}
