package dev.tunelab.recipes.stories;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.distill.Candidate;
import dev.tunelab.distill.Check;
import dev.tunelab.distill.Teacher;
import dev.tunelab.eval.SentimentJudge;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The task kinds on hand-written continuations: one correct answer each, and answers wrong in one way. */
class StoryTasksTest {
    static final StoryTasks TASKS = new StoryTasks(SentimentJudge.stories());

    // 50+ words, ends cleanly, names Lily and the ball again; no sentence repeats.
    static final String FIND_OK = " Lily picked up the ball and looked at it. It was red and round. She wanted to play"
            + " with it, so she ran to her friend Tim. \"Look what I found!\" Lily said. Tim smiled and they threw the"
            + " ball to each other all day. When the sun went down, Lily took the ball home and put it under her bed.";

    static String failure(StoryTask t, String completion) {
        Check failed = Teacher.firstFailedCheck(t, new Candidate(t.opening(), completion));
        return failed == null ? null : failed.kind();
    }

    @Test
    void findNeedsTheChildAndTheThingAgain() {
        StoryTask t = TASKS.task("find", Map.of("name", "Lily", "thing", "ball"), 0, 0);
        assertEquals("Write a story about Lily who finds a ball.", t.instruction());
        assertEquals("Once upon a time, there was a little girl named Lily. One day, she found a ball.", t.opening());
        assertNull(failure(t, FIND_OK));
        assertEquals("mentions", failure(t, FIND_OK.replace("ball", "kite")));
        assertEquals("mentions", failure(t, FIND_OK.replace("Lily", "Sue")));
        assertEquals("ends cleanly", failure(t, FIND_OK + " Then she"));
        assertEquals("length", failure(t, " Lily kept the ball."));
        assertEquals("no repeated sentence", failure(t, FIND_OK + " It was red and round. It was red and round."));
        assertEquals("Tell a short story in which Tim finds an apple.",
                TASKS.task("find", Map.of("name", "Tim", "thing", "apple"), 1, 1).instruction());
    }

    @Test
    void moodNeedsTheJudgeOnTheRightSide() {
        StoryTask happy = TASKS.task("mood", Map.of("name", "Mia", "pet", "cat", "mood", "happy"), 0, 0);
        StoryTask sad = TASKS.task("mood", Map.of("name", "Mia", "pet", "cat", "mood", "sad"), 0, 0);
        assertEquals("Write a happy story about Mia and her cat.", happy.instruction());
        // happy 3, laughed 2, loved 3, fun 2 = 10 in the completion (no negative words): happy, not sad.
        String glad = " Mia threw a little ball and the cat ran after it. Mia was happy and laughed. The cat jumped"
                + " on the bed and then on the chair. Mia loved her cat very much. They played until it was time for"
                + " dinner. Mia gave the cat some milk and sat next to it. It was a fun day for Mia and her cat.";
        assertNull(failure(happy, glad));
        assertEquals("sentiment", failure(sad, glad));
        // sad -2, cried -2, lost -2, lonely -2 = -8, and nothing good: sad, not happy.
        String down = " Mia looked for the cat in the garden and in the street. She was sad and cried. She had lost"
                + " her cat and the house felt lonely without it. Her mom made her some soup, but Mia did not eat it."
                + " She sat by the window and looked out at the rain. The cat did not come back that night. Mia went"
                + " to bed.";
        assertNull(failure(sad, down));
        assertEquals("sentiment", failure(happy, down));
    }

    @Test
    void friendsNeedBothNamesAndDialogue() {
        StoryTask t = TASKS.task("friends", Map.of("name", "Ben", "friend", "Sue"), 0, 0);
        String talk = " One day, Ben said, \"Let's build a big tower!\" Sue clapped her hands. \"Yes, and we can put a"
                + " flag on top,\" she said. They found many blocks and made the tower very tall. Then the tower fell"
                + " down with a loud crash. Ben and Sue looked at each other and laughed. They built it again, even"
                + " taller than before.";
        assertNull(failure(t, talk));
        assertEquals("dialogue", failure(t, talk.replace("\"", "")));
        assertEquals("mentions", failure(t, talk.replace("Sue", "Max")));
        StoryTask p = TASKS.task("place", Map.of("name", "Ben", "place", "park"), 0, 1);
        assertEquals("Write a story about Ben at the park.", p.instruction());
        assertEquals("mentions", failure(p, talk));
    }

    @Test
    void sampleIsSeededDistinctAndInterleaved() {
        List<StoryTask> a = TASKS.sample(30, 5);
        List<StoryTask> b = TASKS.sample(30, 5);
        assertEquals(a.stream().map(StoryTask::instruction).toList(), b.stream().map(StoryTask::instruction).toList());
        assertEquals(a.stream().map(StoryTask::opening).toList(), b.stream().map(StoryTask::opening).toList());
        assertTrue(!a.stream().map(StoryTask::opening).toList()
                .equals(TASKS.sample(30, 6).stream().map(StoryTask::opening).toList()));
        assertEquals(120, a.size());
        assertEquals(List.of("find", "place", "mood", "friends"), a.subList(0, 4).stream().map(StoryTask::kind).toList());
        assertEquals(120, new HashSet<>(a.stream().map(t -> t.kind() + t.slots()).toList()).size());
        a.forEach(t -> assertTrue(!t.instruction().contains("{") && !t.opening().contains("{"), t.toString()));
    }

    @Test
    void aRowCarriesWhatItsChecksNeed() {
        StoryTask t = TASKS.task("find", Map.of("name", "Lily", "thing", "ball"), 0, 0);
        Map<String, String> row = t.row(FIND_OK);
        assertEquals(List.of("instruction", "input", "output", "kind", "name", "thing", "opening"), List.copyOf(row.keySet()));
        assertEquals(t.opening() + FIND_OK, row.get("output"));
        assertEquals("", row.get("input"));
        var e = assertThrows(IllegalArgumentException.class, () -> TASKS.checks("find", Map.of("name", "Lily")));
        assertTrue(e.getMessage().contains("\"thing\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TASKS.checks("poem", Map.of("name", "Lily")));
    }
}
