package dev.tunelab.recipes.stories;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.data.AlpacaExample;
import dev.tunelab.data.Dataset;
import dev.tunelab.data.Datasets;
import dev.tunelab.data.Row;
import dev.tunelab.distill.Candidate;
import dev.tunelab.distill.Teacher;
import dev.tunelab.eval.SentimentJudge;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The committed task data: it loads with the project's loaders, agrees with its manifest, and
 * every instruction row passes its own task's checks again, rebuilt from the row alone.
 */
class TaskDataFilesTest {
    static final Path DIR = TaskFiles.tasksDir();
    static final StoryTasks TASKS = new StoryTasks(SentimentJudge.stories());

    static JsonNode manifest() throws Exception {
        return new ObjectMapper().readTree(DIR.resolve(TaskData.MANIFEST).toFile());
    }

    @Test
    void everyFileMatchesItsManifestEntry() throws Exception {
        for (String section : List.of("openings", "instructions")) {
            JsonNode files = manifest().path(section).path("files");
            assertTrue(files.size() == 2, section + " lists its two files");
            for (var it = files.fields(); it.hasNext(); ) {
                var e = it.next();
                Path f = DIR.resolve(e.getKey());
                assertEquals(e.getValue().get("sha256").asText(), TaskData.sha256(f), e.getKey());
                assertEquals(e.getValue().get("rows").asInt(), Datasets.json(f).size(), e.getKey());
            }
        }
    }

    @Test
    void theInstructionSetsLoadAsAlpacaAndPassTheirChecks() throws Exception {
        Dataset<AlpacaExample> train = Datasets.alpaca(DIR.resolve(TaskData.INSTRUCTIONS_TRAIN));
        Dataset<AlpacaExample> test = Datasets.alpaca(DIR.resolve(TaskData.INSTRUCTIONS_TEST));
        assertTrue(train.size() >= 80, "train rows " + train.size());
        assertTrue(test.size() >= 20, "held-out rows " + test.size());
        assertEquals(train.size() + test.size(), train.concat(test).dedupe().size(), "no repeated rows");

        Set<String> trainInstructions = new HashSet<>();
        Set<String> outputs = new HashSet<>();
        for (String file : List.of(TaskData.INSTRUCTIONS_TRAIN, TaskData.INSTRUCTIONS_TEST)) {
            for (Row row : Datasets.json(DIR.resolve(file))) {
                String where = file + ": " + row.get("instruction");
                StoryTask task = rebuild(row);
                assertEquals(row.get("instruction"), task.instruction(), where);
                assertTrue(row.get("output").startsWith(task.opening()), where + ": the output starts with the opening");
                assertEquals("", row.get("input"));
                var candidate = new Candidate(task.opening(), row.get("output").substring(task.opening().length()));
                assertNull(Teacher.firstFailedCheck(task, candidate), where);
                assertTrue(outputs.add(candidate.completion().strip()), where + ": repeated story");
                if (file.equals(TaskData.INSTRUCTIONS_TRAIN)) {
                    trainInstructions.add(row.get("instruction"));
                } else {
                    assertTrue(!trainInstructions.contains(row.get("instruction")), where + ": also in train");
                }
            }
        }
    }

    @Test
    void acceptanceCountsAddUp() throws Exception {
        JsonNode in = manifest().path("instructions");
        JsonNode total = in.path("acceptance").path("total");
        int rows = in.path("files").path(TaskData.INSTRUCTIONS_TRAIN).path("rows").asInt()
                + in.path("files").path(TaskData.INSTRUCTIONS_TEST).path("rows").asInt();
        assertEquals(total.path("accepted").asInt(), rows);
        int rejected = 0;
        for (JsonNode n : total.path("rejected_by_first_failed_check")) rejected += n.asInt();
        assertEquals(total.path("samples").asInt(), rows + rejected);
        assertEquals((double) rows / total.path("samples").asInt(), total.path("acceptance_rate").asDouble(), 1e-4);
    }

    /** The task a row was made from: its kind and slots, with the phrasing and opening that match the row. */
    static StoryTask rebuild(Row row) {
        Map<String, String> slots = new LinkedHashMap<>();
        for (String key : List.of("name", "thing", "place", "pet", "mood", "friend")) {
            if (row.get(key) != null) slots.put(key, row.get(key));
        }
        for (int phrasing = 0; phrasing < 2; phrasing++) {
            for (int opening = 0; opening < 2; opening++) {
                StoryTask t = TASKS.task(row.get("kind"), slots, phrasing, opening);
                if (t.instruction().equals(row.get("instruction")) && t.opening().equals(row.get("opening"))) return t;
            }
        }
        throw new AssertionError("no phrasing of " + row.get("kind") + " " + slots + " gives " + row.columns());
    }
}
