package dev.tunelab.data;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline on DataReportTest's hand-made rows, whose fate per step is known. */
class CleaningTest {

    @TempDir
    Path dir;

    @Test
    void eachStepRemovesWhatTheReportFlags() throws Exception {
        Dataset<DollyExample> heldOut = Dataset.of("held-out", List.of(
                new DollyExample("Who wrote Hamlet?", "", "Shakespeare wrote it.", "open_qa")));
        Cleaned<DollyExample> c = Cleaning.of(DataReportTest.rows())
                .dropExactDuplicates()       // rows 1, 2
                .dropNearDuplicates()        // row 3
                .dropEmptyFields()           // row 6
                .dropTruncatedResponses()    // rows 5, 9
                .maskPii()                   // row 7: two hits masked
                .decontaminate(heldOut)      // row 4
                .dropNonEnglish()            // row 8
                .run();
        assertEquals(List.of(0, 7), java.util.Arrays.stream(c.sourceRows()).boxed().toList());
        assertEquals(List.of(2, 1, 1, 2, 0, 1, 1), c.steps().stream().map(Cleaned.StepResult::removed).toList());
        assertEquals(List.of(0, 0, 0, 0, 2, 0, 0), c.steps().stream().map(Cleaned.StepResult::masked).toList());
        assertEquals("Write to <EMAIL_ADDRESS> or call <PHONE_NUMBER>.", c.dataset().get(1).response());
        assertEquals(Map.of(DataReport.EXACT_DUPLICATE, 2L, DataReport.NEAR_DUPLICATE, 1L, DataReport.EMPTY_FIELD, 1L,
                        DataReport.TRUNCATED_RESPONSE, 2L, DataReport.HELD_OUT_OVERLAP, 1L, DataReport.NOT_ENGLISH, 1L),
                c.removals().stream().collect(Collectors.groupingBy(Cleaning.Removal::step, Collectors.counting())));
        assertEquals("repeats row 0", c.removals().get(0).reason());
        assertEquals(8, c.removed().rowCount());
        assertEquals(2, c.removed(DataReport.TRUNCATED_RESPONSE).rowCount());

        // JSONL with provenance loads back as Dolly; Parquet holds the same rows
        Path jsonl = c.writeJsonl(dir.resolve("out/clean.jsonl"));
        assertEquals(c.dataset().rows(), Datasets.dolly(jsonl).rows());
        JsonNode second = new ObjectMapper().readTree(Files.readAllLines(jsonl).get(1));
        assertEquals(7, second.at("/provenance/source_row").asInt());
        assertEquals(2, second.at("/provenance/pii_masked").asInt());
        assertEquals("mask personal data", second.at("/provenance/cleaning/4/step").asText());
        Path parquet = c.writeParquet(dir.resolve("clean.parquet"));
        assertEquals(c.dataset().rows(), Parquet.read(parquet, Format.DOLLY, LoadOptions.strict()).rows());
        assertTrue(Parquet.columns(parquet).get("provenance").startsWith("STRUCT("), Parquet.columns(parquet).toString());
    }

    @Test
    void dropPiiAndLengthLimitsRemoveRows() {
        Cleaned<DollyExample> c = Cleaning.of(DataReportTest.rows()).dropPii().maxCharacters(100).run();
        assertEquals(List.of(7), c.removals().stream().filter(r -> r.step().equals(DataReport.PII)).map(Cleaning.Removal::row).toList());
        assertEquals(List.of(0, 1, 2, 3), c.removals().stream().filter(r -> r.step().equals(DataReport.OVER_CONTEXT))
                .map(Cleaning.Removal::row).toList());
        assertEquals(5, c.dataset().size());
        assertThrows(IllegalArgumentException.class, () -> Cleaning.of(DataReportTest.rows()).dropPii().dropPii());
    }

    @Test
    void stratifiedSplitKeepsEveryLabelsShare() {
        List<DollyExample> rows = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) rows.add(new DollyExample("q" + i, "", "a" + i, "big"));
        for (int i = 0; i < 7; i++) rows.add(new DollyExample("r" + i, "", "b" + i, "small"));
        rows.add(new DollyExample("lonely", "", "c", "single"));
        Dataset<DollyExample> d = Dataset.of("d", rows);
        var s = d.stratifiedSplit(DollyExample::category, 0.2, 42);
        // big: 50 * 0.2 = 10 held out; small: 7 * 0.2 = 1.4 -> 1 (remainders .6 vs .4); single: 0.2 -> train
        assertEquals(Map.of("big", 40L, "small", 6L, "single", 1L), count(s.train()));
        assertEquals(Map.of("big", 10L, "small", 1L), count(s.heldOut()));
        assertEquals(s.train().rows(), d.stratifiedSplit(DollyExample::category, 0.2, 42).train().rows()); // same seed, same split
        assertNotEquals(s.heldOut().rows(), d.stratifiedSplit(DollyExample::category, 0.2, 7).heldOut().rows());
        assertArrayEquals(new int[] {2, 1, 1}, Dataset.largestRemainder(4, new double[] {0.5, 0.25, 0.25}, 1));
        assertArrayEquals(new int[] {4, 3}, Dataset.largestRemainder(7, new double[] {1, 1}, 2));
    }

    private static Map<String, Long> count(Dataset<DollyExample> d) {
        return d.stream().collect(Collectors.groupingBy(DollyExample::category, Collectors.counting()));
    }
}
