package dev.tunelab.distill;

import static dev.tunelab.distill.TinyTeacher.ANY;
import static dev.tunelab.distill.TinyTeacher.NEVER;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.LanguageModel;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.distill.TinyTeacher.Task;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The teacher loop's mechanics on a tiny random model (its text is noise; what is tested is the
 * bookkeeping): retries, duplicates, unfinished samples, counts, and reproducibility from the seed.
 */
class TeacherTest {
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
        return TeacherConfig.defaults().sampling(g.maxNewTokens(12)).requireEos(false).batchSize(2).seed(11);
    }

    @Test
    void aRepeatOfAKeptTextIsADuplicateAndIsRetried() {
        // Greedy decoding writes the same text for the same prompt: the second task can only repeat the first.
        var tasks = List.of(new Task("Lily found", List.of(ANY), "a"), new Task("Lily found", List.of(ANY), "a"));
        var r = new Teacher(lm, config(GenerationConfig.greedy()).maxAttempts(3)).run(tasks);
        assertEquals(1, r.accepted().size());
        assertEquals(1, r.accepted().get(0).attempt());
        var g = r.stats().groups().get("a");
        assertEquals(2, g.tasks());
        assertEquals(4, g.samples(), "1 for the first task, 3 tries for the second");
        assertEquals(Map.of(FilterStats.DUPLICATE, 3), g.rejected());
        assertEquals(0.25, g.acceptanceRate(), 1e-12);
    }

    @Test
    void everyTryIsCountedUnderTheFirstFailedCheck() {
        var tasks = List.of(new Task("Tim", List.of(ANY, NEVER), "x"), new Task("Lily", List.of(NEVER, ANY), "x"),
                new Task("a ball", List.of(ANY), "y"));
        var r = new Teacher(lm, config(GenerationConfig.sample(1.0)).maxAttempts(3)).run(tasks);
        assertEquals(1, r.accepted().size());
        assertEquals("a ball", r.accepted().get(0).candidate().prompt());
        var x = r.stats().groups().get("x");
        assertEquals(6, x.samples());
        assertEquals(Map.of("never", 6), x.rejected());
        var total = r.stats().total();
        assertEquals(3, total.tasks());
        assertEquals(7, total.samples());
        assertEquals(1, total.accepted());
        assertTrue(r.stats().mimeBundle().get("text/html").contains("never"));
    }

    @Test
    void aTextCutAtTheLengthLimitIsUnfinished() {
        // Without stopping at end-of-text every sample runs to maxNewTokens: none ended by itself.
        var tasks = List.of(new Task("Tim", List.of(ANY), "z"), new Task("Lily", List.of(ANY), "z"));
        var cfg = config(GenerationConfig.sample(1.0).stopAtEos(false)).requireEos(true).maxAttempts(2);
        var r = new Teacher(lm, cfg).run(tasks);
        assertEquals(0, r.accepted().size());
        assertEquals(Map.of(FilterStats.UNFINISHED, 4), r.stats().groups().get("z").rejected());
    }

    @Test
    void theSameSeedGivesTheSameDataAndAnotherSeedOther() {
        var tasks = List.of(new Task("Once upon", List.of(ANY), "s"), new Task("Tim found", List.of(ANY), "s"),
                new Task("Lily", List.of(ANY), "s"));
        var cfg = config(GenerationConfig.sample(1.0));
        List<String> a = texts(new Teacher(lm, cfg).run(tasks));
        List<String> b = texts(new Teacher(lm, cfg).run(tasks));
        List<String> c = texts(new Teacher(lm, cfg.seed(12)).run(tasks));
        assertEquals(3, a.size());
        assertEquals(a, b);
        assertNotEquals(a, c);
        assertTrue(a.get(1).startsWith("Tim found"), a.get(1));
    }

    static List<String> texts(Teacher.Result<Task> r) {
        return r.accepted().stream().map(x -> x.candidate().text()).toList();
    }
}
