package dev.tunelab.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bootstrapping loop with a scripted proposer: what joins the pool, what is dropped and why. */
class SelfInstructTest {
    @Test
    void keepsNovelProposalsOfTheRightLengthAndShowsThePoolToTheProposer() {
        List<String> seeds = List.of("Write a story about a cat.", "Name three red fruits.");
        Iterator<String> script = List.of(
                "Write a story about a big cat.",   // ROUGE-L with seed 1: LCS 6, P 6/7, R 1 -> 0.923: too similar
                "Hi",                               // 1 word: too short
                "Describe the sea on a windy day.", // new
                "Describe the sea on a windy night.", // 6 of 7 against the previous one: too similar
                "Count the legs of a spider.").iterator();
        List<String> shown = new ArrayList<>();
        var result = SelfInstruct.builder(seeds, (demos, seed) -> {
            demos.forEach(shown::addAll);
            List<String> out = new ArrayList<>();
            for (int i = 0; i < demos.size() && script.hasNext(); i++) out.add(script.next());
            return out;
        }).target(2).batchSize(1).demonstrations(2, 1).seed(3).build().run();

        assertEquals(List.of("Describe the sea on a windy day.", "Count the legs of a spider."), result.generated());
        assertEquals(5, result.proposals().size());
        assertTrue(result.proposals().get(0).rejected().startsWith("too similar"));
        assertEquals(12.0 / 13, result.proposals().get(0).maxRougeL(), 1e-12);
        assertTrue(result.proposals().get(1).rejected().startsWith("length"));
        assertEquals(null, result.proposals().get(2).rejected());
        assertTrue(result.proposals().get(3).rejected().startsWith("too similar"));
        assertEquals(4, result.pool().size());
        assertEquals(0.4, result.acceptanceRate(), 1e-12);
        // before anything was generated both demonstrations are seeds; afterwards one is the generated instruction
        assertTrue(seeds.containsAll(shown.subList(0, 2)));
        assertTrue(shown.subList(6, 8).contains("Describe the sea on a windy day."));
    }

    @Test
    void thePromptListsTheDemonstrationsThenAnOpenLine() {
        assertEquals("Instruction: a b\nInstruction: c\nInstruction:", SelfInstruct.prompt(List.of(" a b", "c")));
    }
}
