package dev.tunelab.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpillQueueTest {
    @Test
    void recordsThatDoNotFitInMemoryAreReadBackFromTheJournalInOrder(@TempDir Path dir) throws Exception {
        try (WandbJournal journal = WandbJournal.open(dir)) {
            SpillQueue queue = new SpillQueue(journal, 3, 0, 0);
            for (int i = 0; i < 20; i++) {
                // lines of varying length (and a non-ASCII one) so byte positions are really tracked
                queue.add(journal.append(JsonNodeFactory.instance.objectNode().put("type", "history")
                        .put("line", "é".repeat(i % 4) + i)));
            }
            assertEquals(17, queue.spilled());
            List<String> lines = new ArrayList<>();
            while (lines.size() < 20) {
                queue.take(4, 0).forEach(e -> lines.add(e.json().path("line").asText()));
            }
            for (int i = 0; i < 20; i++) {
                assertEquals("é".repeat(i % 4) + i, lines.get(i));
            }
            queue.close();
            assertTrue(queue.closedAndDrained());
            // a reopened journal finds its records, and positions agree with what the queue walked
            assertEquals(20, WandbJournal.open(dir).records());
            assertEquals(journal.read(0, 0, 5).stream().mapToLong(WandbJournal.Entry::bytes).sum(), journal.positionOf(5));
        }
    }
}
