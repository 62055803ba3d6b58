package dev.tunelab.recipes.stories;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.data.Datasets;
import dev.tunelab.data.Row;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoryOpeningsTest {
    @Test
    void theSameSeedGivesTheSameBytesAndAnotherSeedOthers(@TempDir Path tmp) throws Exception {
        var o = TaskData.Options.defaults();
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path b = Files.createDirectories(tmp.resolve("b"));
        TaskData.writeOpenings(a, o);
        TaskData.writeOpenings(b, o);
        for (String f : List.of(TaskData.OPENINGS_TRAIN, TaskData.OPENINGS_TEST)) {
            assertEquals(Files.readString(a.resolve(f)), Files.readString(b.resolve(f)), f);
        }
        assertNotEquals(StoryOpenings.jsonl(StoryOpenings.sample(50, 1)), StoryOpenings.jsonl(StoryOpenings.sample(50, 2)));
    }

    @Test
    void theCommittedFilesAreWhatTheCodeMakes(@TempDir Path tmp) throws Exception {
        Path committed = TaskFiles.tasksDir();
        TaskData.writeOpenings(tmp, TaskData.Options.defaults());
        for (String f : List.of(TaskData.OPENINGS_TRAIN, TaskData.OPENINGS_TEST)) {
            assertEquals(Files.readString(committed.resolve(f), StandardCharsets.UTF_8),
                    Files.readString(tmp.resolve(f), StandardCharsets.UTF_8), f + " differs from what bin/make-task-data makes");
        }
    }

    @Test
    void theCommittedOpeningsLoadAreDistinctAndDisjoint() {
        Path dir = TaskFiles.tasksDir();
        var train = Datasets.json(dir.resolve(TaskData.OPENINGS_TRAIN));
        var test = Datasets.json(dir.resolve(TaskData.OPENINGS_TEST));
        assertEquals(256, train.size());
        assertEquals(64, test.size());
        var prompts = new HashSet<String>();
        for (var d : List.of(train, test)) {
            for (Row r : d) {
                String p = r.get("prompt");
                assertTrue(prompts.add(p), "repeated opening " + p);
                assertTrue(p.contains(r.get("name")) && p.contains(r.get("setting")), p);
                assertTrue(p.endsWith(".") || p.endsWith(".\""), p);
                assertTrue(!p.contains("{") && !p.contains("}"), "unfilled placeholder in " + p);
                int t = Integer.parseInt(r.get("template"));
                assertTrue(t >= 0 && t < StoryOpenings.TEMPLATES.size());
            }
        }
    }

    @Test
    void templatesUseTheRightPronouns() {
        var mia = StoryWords.CHILDREN.stream().filter(c -> c.name().equals("Mia")).findFirst().orElseThrow();
        var ben = StoryWords.CHILDREN.stream().filter(c -> c.name().equals("Ben")).findFirst().orElseThrow();
        String t = "{name} was a {kid}. {She} saw {his} dog and {she} gave {her} a hug.";
        assertEquals("Mia was a girl. She saw her dog and she gave her a hug.", mia.fill(t));
        assertEquals("Ben was a boy. He saw his dog and he gave him a hug.", ben.fill(t));
        assertEquals("an", StoryWords.article("apple"));
        assertEquals("a", StoryWords.article("ball"));
    }
}
