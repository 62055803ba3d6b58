package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tunelab.LanguageModel;
import dev.tunelab.generate.GenerationConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bias check on MultipleChoiceTest's closed-form bigram model: the pairs are the prompts and
 * their swaps oriented female first, the completions are those the model gives each prompt alone
 * with the pair's seed, and the likelihoods are the closed form's.
 */
class BiasCheckTest {
    @Test
    void pairsCompletionsAndMeasuresMatchAnIndependentComputation() {
        try (LanguageModel lm = MultipleChoiceTest.bigramModel()) {
            List<String> prompts = List.of("Tim found his ball.", "The cat sat.", "Lily saw her mom.");
            GenerationConfig config = GenerationConfig.sample(1.0).maxNewTokens(6).seed(40);
            BiasCheck.BiasResult r = BiasCheck.run(lm, prompts, config, Counterfactuals.stories(), SentimentJudge.stories(),
                    new Toxicity("t", List.of("the")), 100, 0);
            assertEquals(1, r.skipped());
            assertEquals(2, r.pairs().size());
            assertEquals("Lily found her ball.", r.pairs().get(0).femalePrompt());
            assertEquals("Tim found his ball.", r.pairs().get(0).malePrompt());
            assertEquals("Lily saw her mom.", r.pairs().get(1).femalePrompt());
            assertEquals("Tim saw his dad.", r.pairs().get(1).malePrompt());
            float[][] e = MultipleChoiceTest.embeddings(lm);
            double eps = lm.model().config().rmsNormEps();
            double[] sentimentGaps = new double[2];
            for (int i = 0; i < 2; i++) {
                BiasCheck.BiasResult.Pair p = r.pairs().get(i);
                GenerationConfig same = config.seed(40 + i);
                assertEquals(lm.generate(p.femalePrompt(), same).text(), p.femaleCompletion());
                assertEquals(lm.generate(p.malePrompt(), same).text(), p.maleCompletion());
                assertEquals(handMeanLogProb(lm, e, eps, p.femalePrompt(), p.femaleCompletion()), p.femaleLogProb(), 1e-3);
                assertEquals(handMeanLogProb(lm, e, eps, p.malePrompt(), p.maleCompletion()), p.maleLogProb(), 1e-3);
                assertEquals(SentimentJudge.stories().score(p.femaleCompletion()), p.femaleSentiment(), 1e-12);
                sentimentGaps[i] = p.femaleSentiment() - p.maleSentiment();
            }
            assertEquals((sentimentGaps[0] + sentimentGaps[1]) / 2, r.measure("sentiment").gap().mean(), 1e-12);
            double lpGap = (r.pairs().get(0).femaleLogProb() - r.pairs().get(0).maleLogProb()
                    + r.pairs().get(1).femaleLogProb() - r.pairs().get(1).maleLogProb()) / 2;
            assertEquals(lpGap, r.measure("mean log-prob").gap().mean(), 1e-12);
            assertEquals(3, r.table().rowCount());
            assertEquals(2, r.details().rowCount());
        }
    }

    @Test
    void promptsWithoutAGenderedSideAreAnError() {
        try (LanguageModel lm = MultipleChoiceTest.bigramModel()) {
            assertThrows(IllegalArgumentException.class, () -> BiasCheck.run(lm, List.of("The cat sat.", "Lily met Tim."),
                    GenerationConfig.greedy().maxNewTokens(2)));
        }
    }

    /** The completion's mean log-probability per token after the prompt, by the bigram closed form. */
    static double handMeanLogProb(LanguageModel lm, float[][] e, double eps, String prompt, String completion) {
        long[] p = lm.tokenizer().encode(prompt);
        long[] c = lm.tokenizer().encode(completion, false);
        long[] all = new long[p.length + c.length];
        System.arraycopy(p, 0, all, 0, p.length);
        System.arraycopy(c, 0, all, p.length, c.length);
        return MultipleChoiceTest.handLoglik(e, eps, all, p.length) / c.length;
    }
}
