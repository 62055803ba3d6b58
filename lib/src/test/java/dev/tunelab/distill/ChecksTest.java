package dev.tunelab.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.eval.SentimentJudge;
import org.junit.jupiter.api.Test;

/** The checks on hand-written stories, each with a text that passes and one that fails for the reason checked. */
class ChecksTest {
    static Candidate c(String prompt, String completion) {
        return new Candidate(prompt, completion);
    }

    @Test
    void mentionsWholeWordsInTheCompletionOnly() {
        Check ball = Checks.mentions("ball");
        String prompt = "Lily found a ball.";
        assertTrue(ball.passes(c(prompt, " She threw the ball to Tim.")));
        assertTrue(ball.passes(c(prompt, " She had two balls now.")));
        assertTrue(ball.passes(c(prompt, " The Ball's colour was red.")));
        assertFalse(ball.passes(c(prompt, " She played with a balloon.")), "balloon is not ball");
        assertFalse(ball.passes(c(prompt, " They played football.")), "football is not ball");
        assertFalse(ball.passes(c(prompt, " She went home.")), "the prompt's mention does not count");
        assertTrue(Checks.mentions("toy car").passes(c("", " He drove the toy cars.")));
        assertFalse(Checks.mentions("toy car").passes(c("", " He had a toy and a car.")));
        assertEquals("mentions(ball)", ball.toString());
    }

    @Test
    void endsCleanlyOnAFinishedSentence() {
        Check end = Checks.endsCleanly();
        assertTrue(end.passes(c("", " They were happy.")));
        assertTrue(end.passes(c("", " \"Thank you!\" ")));
        assertTrue(end.passes(c("", " Was it fun?")));
        assertTrue(end.passes(c("", " She said, “Yes.”")));
        assertFalse(end.passes(c("", " They went to the")));
        assertFalse(end.passes(c("", " They were happy,")));
        assertFalse(end.passes(c("Once.", "   ")));
    }

    @Test
    void wordsCountsTheWholeText() {
        Check len = Checks.words(5, 6);
        assertTrue(len.passes(c("One two", " three four five.")));
        assertTrue(len.passes(c("One two", " three four five six.")));
        assertFalse(len.passes(c("One two", " three four.")));
        assertFalse(len.passes(c("One two", " three four five six seven.")));
    }

    @Test
    void repeatedLongSentencesAreCaught() {
        Check loop = Checks.noRepeatedSentence(4);
        assertFalse(loop.passes(c("Tim ran to the park.", " He saw a dog. Tim ran to the park! ")));
        assertFalse(loop.passes(c("", " She was very happy. she was  very happy.")));
        assertTrue(loop.passes(c("", " \"Yes!\" said Tim. \"Yes!\" said Tim. It was fun.")), "short sentences may repeat");
        assertTrue(loop.passes(c("", " Tim ran to the park. Tim ran to the shop.")));
    }

    @Test
    void dialogueCountsQuotedUtterances() {
        Check two = Checks.dialogue(2);
        assertTrue(two.passes(c("", " \"Hi,\" said Sam. \"Hello!\" said Mia.")));
        assertTrue(two.passes(c("", " “Hi,” said Sam. “Hello!” said Mia.")));
        assertFalse(two.passes(c("", " \"Hi,\" said Sam. Mia waved.")));
        assertFalse(two.passes(c("", " Sam said hi. Mia waved.")));
    }

    @Test
    void sentimentThresholdsUseTheJudgeOnTheCompletion() {
        SentimentJudge judge = SentimentJudge.stories();
        // happy 3 + smiled 2 = 5; the sad prompt does not count.
        Candidate happy = c("Lily was sad.", " Then she was happy and smiled.");
        assertTrue(Checks.sentimentAtLeast(judge, 5).passes(happy));
        assertFalse(Checks.sentimentAtLeast(judge, 5.5).passes(happy));
        // cried -2 + lost -2 = -4
        Candidate sad = c("Tom was happy.", " He lost his hat and cried.");
        assertTrue(Checks.sentimentAtMost(judge, -4).passes(sad));
        assertFalse(Checks.sentimentAtMost(judge, -4.5).passes(sad));
    }
}
