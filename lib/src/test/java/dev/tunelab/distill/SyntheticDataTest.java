package dev.tunelab.distill;

import static dev.tunelab.distill.TinyTeacher.ANY;
import static dev.tunelab.distill.TinyTeacher.NEVER;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.LanguageModel;
import dev.tunelab.eval.RewardFunction;
import dev.tunelab.data.AlpacaExample;
import dev.tunelab.data.Datasets;
import dev.tunelab.distill.TinyTeacher.Task;
import dev.tunelab.generate.GenerationConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The synthetic-data builder on a tiny random model (its text is noise; the bookkeeping is what
 * is tested): stages in order, counts per stage, best-of-k, de-duplication across samples, and
 * the JSONL round trip through the data loaders.
 */
class SyntheticDataTest {
    @TempDir
    static Path tmp;
    static LanguageModel lm;

    @BeforeAll
    static void tinyModel() throws Exception {
        lm = TinyTeacher.model(tmp);
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    static TeacherConfig config(GenerationConfig g) {
        return TeacherConfig.defaults().sampling(g.maxNewTokens(10)).requireEos(false).batchSize(4).seed(5);
    }

    @Test
    void everySampleIsCountedAtTheStageThatStoppedIt() {
        var tasks = List.of(new Task("Lily", List.of(ANY), "a"), new Task("Tim", List.of(ANY, NEVER), "b"),
                new Task("a ball", List.of(ANY), "a"));
        // a judge that passes nothing after the checks: the first task's samples reach it and stop there
        var data = SyntheticData.builder(lm, "tiny").config(config(GenerationConfig.sample(1.0))).samplesPerTask(3)
                .filter(Filter.atLeast("judge", (prompt, completion) -> prompt.equals("a ball") ? 1 : 0, 1)).build();
        assertEquals(List.of(SyntheticData.TASK_CHECKS, "judge >= 1.0"), data.stages());
        var set = data.run(tasks);
        assertEquals(9, set.outcomes().size());
        var table = set.stageTable();
        assertEquals(List.of(9, 6), table.intColumn("reached").asList());
        assertEquals(List.of(6, 3), table.intColumn("passed").asList());
        assertEquals(List.of(3), set.kept().stream().map(o -> o.candidate().prompt().length() - 3).distinct().toList());
        assertEquals(Map.of("never", 3), set.stats().groups().get("b").rejected());
        assertEquals(Map.of("judge >= 1.0", 3), set.stats().groups().get("a").rejected());
        assertEquals(3, set.stats().groups().get("a").accepted());
        assertEquals(List.of(0, 1, 2), set.kept().stream().map(SyntheticSet.Outcome::index).toList());
    }

    @Test
    void bestOfKKeepsTheHighestRewardPerTask() {
        var tasks = List.of(new Task("Lily", List.of(ANY), "a"), new Task("Tim", List.of(ANY), "a"));
        RewardFunction length = (prompt, completion) -> completion.length();
        var set = SyntheticData.builder(lm, "tiny").config(config(GenerationConfig.sample(1.0))).samplesPerTask(4)
                .bestOf(length).build().run(tasks);
        assertEquals(2, set.kept().size());
        for (var kept : set.kept()) {
            double best = set.outcomes().stream().filter(o -> o.task() == kept.task()).mapToDouble(SyntheticSet.Outcome::reward).max().getAsDouble();
            assertEquals(best, kept.reward());
            assertEquals(kept.candidate().completion().length(), kept.reward());
        }
        assertEquals(6, set.outcomes().stream().filter(o -> SyntheticData.BEST_OF_K.equals(o.stage())).count());
        assertEquals(List.of(8, 8), set.stageTable().intColumn("reached").asList());
    }

    @Test
    void identicalSamplesOfOneTaskAreNearDuplicates() {
        // greedy decoding writes the same text every time: only the first of the three is kept
        var set = SyntheticData.builder(lm, "tiny").config(config(GenerationConfig.greedy())).samplesPerTask(3)
                .filter(NgramDedup.defaults()).build().run(List.of(new Task("Lily found", List.of(ANY), "a")));
        assertEquals(1, set.kept().size());
        assertEquals(0, set.kept().get(0).index());
        assertEquals(2, set.outcomes().stream().filter(o -> NgramDedup.defaults().name().equals(o.stage())).count());
    }

    @Test
    void theJsonlRoundTripsThroughTheLoadersWithItsProvenance() throws Exception {
        var story = new InstructionTask("Write a story about Lily who finds a ball.", "Lily found a ball.", "find",
                List.of(ANY));
        var set = SyntheticData.builder(lm, "tiny").config(config(GenerationConfig.sample(1.0))).samplesPerTask(2)
                .build().run(List.of(story, story));
        Path file = tmp.resolve("synthetic.jsonl");
        set.writeJsonl(file);
        var alpaca = Datasets.alpaca(file);
        assertEquals(4, alpaca.size());
        assertEquals("Write a story about Lily who finds a ball.", alpaca.get(0).instruction());
        assertEquals("Lily found a ball." + set.kept().get(0).candidate().completion(), alpaca.get(0).output());
        var rows = Datasets.json(file);
        assertEquals("find", rows.get(1).get("kind"));
        var provenance = new ObjectMapper().readTree(rows.get(1).get("provenance"));
        assertEquals("tiny", provenance.get("teacher").asText());
        assertEquals(10, provenance.get("max_new_tokens").asInt());
        assertEquals(5, provenance.get("seed").asLong());
        assertEquals(1, provenance.get("sample_index").asInt());
        assertEquals(set.kept().get(1).sample().seed(), provenance.get("sample_seed").asLong());
        assertTrue(provenance.get("filters").get(SyntheticData.TASK_CHECKS).asBoolean());
        // the same seed gives the same rows; another seed other rows
        var again = SyntheticData.builder(lm, "tiny").config(config(GenerationConfig.sample(1.0))).samplesPerTask(2)
                .build().run(List.of(story, story));
        assertEquals(texts(set), texts(again));
        var other = SyntheticData.builder(lm, "tiny").config(config(GenerationConfig.sample(1.0)).seed(6)).samplesPerTask(2)
                .build().run(List.of(story, story));
        assertNotEquals(texts(set), texts(other));
    }

    /**
     * A task whose row is an Alpaca instruction row with its kind, as a task set built on the
     * library writes one (the story tasks of the recipes module do): the output is the prompt the
     * teacher continued followed by its continuation.
     */
    record InstructionTask(String instruction, String prompt, String group, List<Check> checks) implements TeacherTask {
        @Override
        public Map<String, String> row(String completion) {
            Map<String, String> m = new LinkedHashMap<>(new AlpacaExample(instruction, "", prompt + completion).columns());
            m.put("kind", group);
            return m;
        }
    }

    static List<String> texts(SyntheticSet<?> set) {
        return set.kept().stream().map(o -> o.candidate().completion()).toList();
    }
}
