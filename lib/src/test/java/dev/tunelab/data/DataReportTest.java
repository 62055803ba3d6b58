package dev.tunelab.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.tunelab.display.MimeBundles;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-made rows where every check's count is known. */
class DataReportTest {
    static final String LONG = "the quick brown fox jumps over the lazy dog near the river bank at dawn while birds sing";

    static Dataset<DollyExample> rows() {
        return Dataset.of("hand-made", List.of(
                new DollyExample("Summarize the story.", "", LONG, "summarization"),                         // 0
                new DollyExample("Summarize the story.", "", LONG, "summarization"),                         // 1 exact copy of 0
                new DollyExample("Summarize  the story. ", "", LONG, "summarization"),                       // 2 copy up to whitespace
                new DollyExample("Summarize the story.", "", LONG.replace("sing", "sang"), "summarization"), // 3 near copy of 0
                new DollyExample("Who wrote Hamlet?", "", "Shakespeare wrote it.", "open_qa"),               // 4
                new DollyExample("List three colours.", "", "Red, green,", "brainstorming"),                 // 5 truncated
                new DollyExample("   ", "", "An answer to nothing.", "open_qa"),                             // 6 empty instruction
                new DollyExample("Email?", "", "Write to ann@example.org or call 555-123-4567.", "open_qa"), // 7 PII x2
                new DollyExample("Translate.", "", "Это предложение написано по-русски.", "open_qa"),          // 8 not English
                new DollyExample("Code?", "", "```python\nprint(1)", "open_qa")));                          // 9 unclosed fence
    }

    @Test
    void countsEachCheck() {
        Dataset<DollyExample> heldOut = Dataset.of("held-out", List.of(
                new DollyExample("Who wrote Hamlet?", "", "Shakespeare wrote it.", "open_qa"), // identical to row 4 (under 13 words)
                new DollyExample("Tell me", "", "the quick brown fox jumps over the lazy dog near the river bank at noon", "x")));
        DataReport r = DataReport.of(rows()).maxCharacters(100).heldOut(heldOut).build();
        assertEquals(10, r.rows());
        assertEquals(List.of(1, 2), rowsOf(r, DataReport.EXACT_DUPLICATE));
        assertEquals(List.of(3), rowsOf(r, DataReport.NEAR_DUPLICATE));
        // 0..3 share "the quick ... river bank at" 13-grams with held-out row 1; row 4 equals held-out row 0
        assertEquals(List.of(0, 1, 2, 3, 4), rowsOf(r, DataReport.HELD_OUT_OVERLAP));
        assertEquals(List.of(6), rowsOf(r, DataReport.EMPTY_FIELD));
        assertEquals(List.of(5, 9), rowsOf(r, DataReport.TRUNCATED_RESPONSE));
        assertEquals(List.of(7), rowsOf(r, DataReport.PII));
        assertEquals(Map.of(Pii.Kind.EMAIL_ADDRESS, 1, Pii.Kind.PHONE_NUMBER, 1, Pii.Kind.CREDIT_CARD, 0, Pii.Kind.IP_ADDRESS, 0), r.piiHits());
        assertEquals(List.of(8), rowsOf(r, DataReport.NOT_ENGLISH));
        // texts 0-3 are "Summarize the story." + "\n\n" + 88 characters = 110 (row 2: 112), over 100
        assertEquals(List.of(0, 1, 2, 3), rowsOf(r, DataReport.OVER_CONTEXT));
        assertEquals(Map.of("summarization", 4, "open_qa", 5, "brainstorming", 1), r.labels());
        // 21 words, 17 distinct 5-grams each; the last word differs in one: Jaccard 16 / 18
        assertEquals("Jaccard 0.89 with row 0", r.flagged(DataReport.NEAR_DUPLICATE).get(0).detail());
        String html = r.mimeBundle().get(MimeBundles.HTML);
        assertTrue(html.contains("data:image/png;base64,"));
        assertTrue(html.contains("near duplicate"));
    }

    private static List<Integer> rowsOf(DataReport r, String check) {
        return r.flagged(check).stream().map(DataReport.Flag::row).toList();
    }
}
