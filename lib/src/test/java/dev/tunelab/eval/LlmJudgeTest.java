package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.LanguageModel;
import dev.tunelab.eval.WinRate.Verdict;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LlmJudgeTest {
    @Test
    void scoresAreTheLogLikelihoodsOfTheThreeVerdictStrings() {
        // the closed-form bigram model of MultipleChoiceTest: log-likelihoods computed by hand
        try (LanguageModel lm = MultipleChoiceTest.bigramModel()) {
            float[][] e = MultipleChoiceTest.embeddings(lm);
            LlmJudge judge = LlmJudge.of(lm);
            String q = "Write a happy story.";
            String a = "Lily smiled and played.";
            String b = "Tom was sad.";
            long[] prompt = judge.promptIds(q, a, b);
            double[] expected = new double[3];
            for (int v = 0; v < 3; v++) {
                long[] verdict = lm.tokenizer().encode(LlmJudge.VERDICTS.get(v), false);
                long[] all = Arrays.copyOf(prompt, prompt.length + verdict.length);
                System.arraycopy(verdict, 0, all, prompt.length, verdict.length);
                expected[v] = MultipleChoiceTest.handLoglik(e, lm.model().config().rmsNormEps(), all, prompt.length);
            }
            LlmJudge.Scores s = judge.scores(q, a, b);
            assertEquals(expected[0], s.a(), 1e-3);
            assertEquals(expected[1], s.b(), 1e-3);
            assertEquals(expected[2], s.tie(), 1e-3);
            // the prompt shows the answers in the order given: swapping them changes it
            assertTrue(!Arrays.equals(prompt, judge.promptIds(q, b, a)));
            String text = lm.tokenizer().decode(prompt, false);
            assertTrue(text.indexOf(a) < text.indexOf(b) && text.contains(LlmJudge.SYSTEM_PROMPT), text);
        }
    }

    @Test
    void identicalAnswersAlwaysTieWhenBothOrdersAreJudged() {
        try (LanguageModel lm = MultipleChoiceTest.bigramModel()) {
            LlmJudge judge = LlmJudge.of(lm);
            for (String answer : List.of("The dog ran.", "Once upon a time there was a cat.")) {
                assertEquals(Verdict.TIE, judge.judge("Tell a story.", answer, answer));
            }
        }
    }

    @Test
    void aSideWinsOnlyWhenBothOrdersAgree() {
        assertEquals(Verdict.A, LlmJudge.combine(Verdict.A, Verdict.B));
        assertEquals(Verdict.B, LlmJudge.combine(Verdict.B, Verdict.A));
        for (Verdict first : Verdict.values()) {
            for (Verdict second : Verdict.values()) {
                boolean consistent = first == Verdict.A && second == Verdict.B || first == Verdict.B && second == Verdict.A;
                if (!consistent) {
                    assertEquals(Verdict.TIE, LlmJudge.combine(first, second), first + " then " + second);
                }
            }
        }
        assertEquals(Verdict.A, new LlmJudge.Scores(-1, -2, -3).verdict());
        assertEquals(Verdict.TIE, new LlmJudge.Scores(-1, -1, -3).verdict());
    }

    @Test
    void agreementAndCohensKappaByHand() {
        // rates: first A .5 B .25 TIE .25; second A .25 B .5 TIE .25; chance .125 + .125 + .0625 = .3125
        JudgeAgreement r = JudgeAgreement.ofVerdicts(List.of(Verdict.A, Verdict.A, Verdict.B, Verdict.TIE),
                List.of(Verdict.A, Verdict.B, Verdict.B, Verdict.TIE));
        assertEquals(0.75, r.agreement(), 1e-15);
        assertEquals((0.75 - 0.3125) / (1 - 0.3125), r.kappa(), 1e-15);
        assertTrue(Double.isNaN(JudgeAgreement.ofVerdicts(List.of(Verdict.A), List.of(Verdict.A)).kappa()));
    }
}
