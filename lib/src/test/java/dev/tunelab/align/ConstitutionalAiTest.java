package dev.tunelab.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.model.Autograd;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Constitutional AI's pieces: the principles file, the critique-and-revision prompts, the AI labeller's preference. */
class ConstitutionalAiTest {
    static Path defaultPrinciples() {
        return PpoTrainerTest.modelDir().getParent().getParent().resolve("principles/default.txt");
    }

    @Test
    void theShippedPrinciplesParse() {
        Constitution c = Constitution.load(defaultPrinciples());
        assertEquals(3, c.size());
        assertEquals(new Constitution.Principle("kind", "Point out where the story is unkind, mean or sad.",
                "Tell the story again so that everyone is kind and the story ends happily.",
                "Which story is kinder and happier?"), c.get(0));
        assertEquals("friendly", c.get(2).name());
    }

    @Test
    void aBrokenPrinciplesFileIsRefusedNamingTheLine() {
        var missing = assertThrows(IllegalArgumentException.class, () -> Constitution.parse(
                "# c\n[kind]\ncritique: a\nrevision: b\n", "p.txt"));
        assertEquals("p.txt, line 2: principle [kind] has no compare: line", missing.getMessage());
        var unknown = assertThrows(IllegalArgumentException.class, () -> Constitution.parse(
                "[kind]\ncritique: a\nrevise: b\n", "p.txt"));
        assertTrue(unknown.getMessage().startsWith("p.txt, line 3: expected [name], critique:, revision: or compare:"),
                unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Constitution.parse("[k]\ncritique: a\ncritique: b\n", "p.txt"));
        assertThrows(IllegalArgumentException.class, () -> Constitution.parse("critique: a\n", "p.txt"));
        assertThrows(IllegalArgumentException.class, () -> Constitution.parse("# nothing\n", "p.txt"));
    }

    @Test
    void thePromptsAreTheTemplatesFilledIn() {
        var p = new Constitution.Principle("kind", "Is it mean?", "Make it nice.", "Which is nicer?");
        var t = CritiqueRevision.Templates.stories();
        assertEquals("Tom had a ball. He threw it at Sam.\n\nCritique request: Is it mean?\nCritique:",
                t.critiquePrompt("Tom had a ball.", " He threw it at Sam. ", p));
        assertEquals("Tom had a ball. He threw it at Sam.\n\nCritique request: Is it mean?\nCritique: It hurt Sam.\n\n"
                        + "Revision request: Make it nice.\nRevision: Tom had a ball.",
                t.revisionPrompt("Tom had a ball.", "He threw it at Sam.", p, " It hurt Sam."));
    }

    @Test
    void eachRoundFeedsTheAnswerAndTheCritiqueIntoTheNextPrompt() {
        try (LanguageModel lm = Models.load(PpoTrainerTest.modelDir())) {
            Constitution c = Constitution.load(defaultPrinciples());
            List<String> prompts = List.of("Tom had a red ball.", "The cat was very hungry.");
            GenerationConfig greedy = GenerationConfig.greedy().maxNewTokens(10);
            var result = CritiqueRevision.run(lm.model(), lm.tokenizer(), prompts, c, CritiqueRevision.Templates.stories(), greedy, 8, 3);
            for (int i = 0; i < 2; i++) {
                var r = result.revisions().get(i);
                Constitution.Principle p = c.principles().stream().filter(x -> x.name().equals(r.principle())).findFirst().orElseThrow();
                // greedy decoding: each step is reproducible from the prompt built out of the step before
                assertEquals(lm.generate(prompts.get(i), greedy).text().strip(), r.answer());
                String critiquePrompt = CritiqueRevision.Templates.stories().critiquePrompt(prompts.get(i), r.answer(), p);
                assertEquals(lm.generate(critiquePrompt, greedy.maxNewTokens(8).stopStrings("\n")).text().strip(), r.critique());
                String revisionPrompt = CritiqueRevision.Templates.stories().revisionPrompt(prompts.get(i), r.answer(), p, r.critique());
                assertEquals(lm.generate(revisionPrompt, greedy).text().strip(), r.revised());
            }
            assertEquals(5, result.table().columnCount());
        }
    }

    @Test
    void theLabellersPreferenceIsTheSoftmaxOfANextTokenAgainstBAveragedOverBothOrders() {
        try (LanguageModel lm = Models.load(PpoTrainerTest.modelDir())) {
            var principle = new Constitution.Principle("kind", "c", "r", "Which story is kinder?");
            var one = new Constitution(List.of(principle), "test");
            String prompt = "Tom had a red ball.", a = "He was happy and shared it.", b = "He cried and was sad.";
            long[] idA = lm.tokenizer().encode("A", false);
            long[] idB = lm.tokenizer().encode("B", false);
            assertEquals(1, idA.length, "\"A\" is one token of this tokenizer");
            // by hand: the last position's log-softmax, read at the tokens of "A" and "B"
            java.util.function.BiFunction<String, String, Double> pFirst = (x, y) -> {
                String text = AiFeedback.STORY_TEMPLATE.replace("{prompt}", prompt).replace("{a}", x).replace("{b}", y)
                        .replace("{question}", principle.comparison());
                long[] ids = lm.tokenizer().encode(text);
                return Autograd.noGrad(() -> {
                    try (var m = lm.model().manager().newSubManager()) {
                        NDArray logits = lm.model().forward(m.create(ids).reshape(1, ids.length), null, null, null);
                        float[] last = logits.get("0, -1, :").logSoftmax(-1).toFloatArray();
                        return 1 / (1 + Math.exp(-(last[(int) idA[0]] - last[(int) idB[0]])));
                    }
                });
            };
            double ab = pFirst.apply(a, b);
            double ba = pFirst.apply(b, a);
            double oneOrder = AiFeedback.of(lm.model(), lm.tokenizer(), one).bothOrders(false)
                    .probabilities(List.of(prompt), List.of(a), List.of(b))[0];
            assertEquals(ab, oneOrder, 1e-5);
            double both = AiFeedback.of(lm.model(), lm.tokenizer(), one).probabilities(List.of(prompt), List.of(a), List.of(b))[0];
            assertEquals((ab + 1 - ba) / 2, both, 1e-5);

            // label(): pairs ordered by the labeller, equal completions dropped; agreement measured against the judge
            var ids = List.of(new long[] {5, 6}, new long[] {7}, new long[] {8}, new long[] {8});
            var rollout = new Rollouts.Rollout(List.of(prompt, prompt, prompt, prompt),
                    List.of(lm.tokenizer().encode(prompt), lm.tokenizer().encode(prompt), lm.tokenizer().encode(prompt),
                            lm.tokenizer().encode(prompt)), ids, List.of(a, b, "same", "same"), new double[4], 4, 1);
            var labels = AiFeedback.of(lm.model(), lm.tokenizer(), one).label(rollout, (pr, text) -> text.contains("happy") ? 1 : 0);
            assertEquals(both, labels.probability()[0], 1e-9);
            assertEquals(1, labels.pairs().size());
            assertArrayEquals(both > 0.5 ? ids.get(0) : ids.get(1), labels.pairs().get(0).chosen());
            assertEquals(1, labels.judged());
            assertEquals(both > 0.5 ? 1.0 : 0.0, labels.agreement(), 0.0);
        }
    }

    @Test
    void agreementCountsOnlyPairsTheJudgeSeparatesAndTheLabellerDecides() {
        var labels = new AiFeedback.Labels(List.of(), List.of("p", "p", "p", "p"), List.of("a", "b", "c", "d"),
                List.of("e", "f", "g", "h"), new double[] {0.7, 0.2, 0.6, 0.5},
                new double[][] {{1, 0}, {1, 0}, {0, 0}, {0, 2}});
        // pair 0 agrees, pair 1 disagrees, pair 2 the judge ties, pair 3 the labeller ties
        assertEquals(0.5, labels.agreement(), 0.0);
        assertEquals(3, labels.judged());
        assertEquals(0.5, labels.firstPreferred(), 0.0);
    }
}
