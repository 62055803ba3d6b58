package dev.tunelab.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorTest {
    static final Path TOKENIZER = Path.of("src/test/resources/tokenizer/bytebpe");

    static LanguageModel randomModel() {
        Tokenizer tok = Tokenizer.load(TOKENIZER);
        LlamaConfig c = LlamaConfig.builder().vocabSize(tok.vocabSize()).hiddenSize(32).intermediateSize(48)
                .layers(2).heads(4).kvHeads(2).maxPositions(96).initializerRange(0.5).build();
        return new LanguageModel(LlamaModel.create(c, 3), tok);
    }

    @Test
    void batchedLeftPaddedGenerationEqualsOneByOne() {
        try (LanguageModel lm = randomModel()) {
            List<long[]> prompts = List.of(new long[] {5, 9, 12, 7, 30, 4, 8}, new long[] {11, 3}, new long[] {20, 21, 22, 23});
            Generator g = new Generator(lm.model(), -1, 0, null);
            for (boolean cache : new boolean[] {true, false}) {
                GenerationConfig cfg = GenerationConfig.greedy().maxNewTokens(12).useCache(cache);
                List<Generation> together = g.generate(prompts, cfg);
                for (int i = 0; i < prompts.size(); i++) {
                    Generation alone = g.generate(List.of(prompts.get(i)), cfg).get(0);
                    assertArrayEquals(alone.tokens(), together.get(i).tokens(), "prompt " + i + " cache=" + cache);
                }
            }
        }
    }

    @Test
    void seededSamplingRepeatsAndTopK1IsGreedy() {
        try (LanguageModel lm = randomModel()) {
            Generator g = new Generator(lm.model(), -1, 0, null);
            List<long[]> p = List.of(new long[] {5, 9, 12});
            GenerationConfig hot = GenerationConfig.sample(1.5).maxNewTokens(20).seed(7);
            assertArrayEquals(g.generate(p, hot).get(0).tokens(), g.generate(p, hot).get(0).tokens());
            assertNotEquals(List.of(g.generate(p, hot).get(0).tokens()),
                    List.of(g.generate(p, hot.seed(8)).get(0).tokens()));
            long[] greedy = g.generate(p, GenerationConfig.greedy().maxNewTokens(20)).get(0).tokens();
            assertArrayEquals(greedy, g.generate(p, hot.topK(1)).get(0).tokens());
            assertArrayEquals(greedy, g.generate(p, hot.topP(1e-9)).get(0).tokens());
        }
    }

    @Test
    void stopStringCutsTheTextBeforeIt() {
        try (LanguageModel lm = randomModel()) {
            GenerationConfig cfg = GenerationConfig.greedy().maxNewTokens(30).stopAtEos(false);
            Generation full = lm.generate("cab", cfg);
            String text = full.text();
            assertTrue(text.length() > 6, "need some text to cut: '" + text + "'");
            String stop = text.substring(4, 6);
            Generation cut = lm.generate("cab", cfg.stopStrings(stop));
            assertEquals("stop", cut.finishReason());
            assertEquals(text.substring(0, text.indexOf(stop)), cut.text());
            assertEquals("length", full.finishReason());
        }
    }

    @Test
    void savedModelLoadsBackWithTheSameOutputs(@TempDir Path tmp) throws Exception {
        try (LanguageModel lm = randomModel()) {
            lm.save(tmp);
            assertTrue(Files.exists(tmp.resolve("tokenizer.json")));
            GenerationConfig cfg = GenerationConfig.greedy().maxNewTokens(15).stopAtEos(false);
            try (LanguageModel back = Models.load(tmp.toString())) {
                assertArrayEquals(lm.generate("cab", cfg).tokens(), back.generate("cab", cfg).tokens());
                assertEquals(lm.model().parameterCount(), back.model().parameterCount());
            }
        }
    }
}
