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
import java.util.Arrays;
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
    void listenerHearsEveryTokenInOrderAndCanCancelOneRow() {
        try (LanguageModel lm = randomModel()) {
            Generator g = new Generator(lm.model(), -1, 0, null);
            List<long[]> prompts = List.of(new long[] {5, 9, 12}, new long[] {11, 3});
            GenerationConfig cfg = GenerationConfig.greedy().maxNewTokens(10);
            List<Generation> plain = g.generate(prompts, cfg);
            List<List<Long>> heard = List.of(new java.util.ArrayList<>(), new java.util.ArrayList<>());
            // row 1 is stopped after its fourth token (which it keeps); row 0 runs on as if alone
            List<Generation> streamed = g.generate(prompts, cfg, (row, token) -> {
                heard.get(row).add(token);
                return !(row == 1 && heard.get(1).size() == 4);
            });
            assertArrayEquals(plain.get(0).tokens(), streamed.get(0).tokens());
            assertArrayEquals(plain.get(0).tokens(), heard.get(0).stream().mapToLong(Long::longValue).toArray());
            assertEquals("length", streamed.get(0).finishReason());
            assertEquals("cancelled", streamed.get(1).finishReason());
            assertArrayEquals(Arrays.copyOf(plain.get(1).tokens(), 4), streamed.get(1).tokens());
            assertEquals(4, heard.get(1).size());
        }
    }

    /**
     * generateEach: rows with different seeds, temperatures, top-p, max new tokens and stop strings in
     * one batch each get exactly their solo tokens, and each row is reported finished at its own step.
     */
    @Test
    void generateEachGivesEveryRowItsSoloRunAndReportsItWhenItEnds() {
        try (LanguageModel lm = randomModel()) {
            Generator g = new Generator(lm.model(), -1, 0, ids -> lm.tokenizer().decode(ids));
            List<long[]> prompts = List.of(new long[] {5, 9, 12, 7, 30, 4, 8}, new long[] {11, 3}, new long[] {20, 21, 22, 23},
                    new long[] {5, 9, 12});
            GenerationConfig hot = GenerationConfig.sample(1.2).maxNewTokens(16);
            String stop = lm.tokenizer().decode(g.generate(List.of(prompts.get(3)), hot.seed(4)).get(0).tokens()).substring(3, 5);
            List<GenerationConfig> configs = List.of(hot.seed(1), GenerationConfig.greedy().maxNewTokens(5),
                    hot.temperature(0.7).topP(0.9).seed(2).maxNewTokens(9), hot.seed(4).stopStrings(stop));
            List<List<Long>> heard = List.of(new java.util.ArrayList<>(), new java.util.ArrayList<>(), new java.util.ArrayList<>(),
                    new java.util.ArrayList<>());
            int[] heardByRow0WhenFinished = new int[4];
            List<Generation> together = g.generateEach(prompts, configs, new Generator.TokenListener() {
                @Override
                public boolean onToken(int row, long token) {
                    heard.get(row).add(token);
                    return true;
                }

                @Override
                public void onRowFinished(int row, Generation generation) {
                    heardByRow0WhenFinished[row] = heard.get(0).size();
                }
            });
            for (int i = 0; i < prompts.size(); i++) {
                Generation alone = g.generate(List.of(prompts.get(i)), configs.get(i)).get(0);
                assertArrayEquals(alone.tokens(), together.get(i).tokens(), "row " + i);
                assertEquals(alone.text(), together.get(i).text(), "row " + i);
                assertEquals(alone.finishReason(), together.get(i).finishReason(), "row " + i);
            }
            assertEquals("length", together.get(1).finishReason());
            assertEquals(5, together.get(1).tokens().length);
            assertEquals("stop", together.get(3).finishReason());
            // the 5-token row was reported after row 0's fifth token, not at the end of the batch
            assertEquals(5, heardByRow0WhenFinished[1]);
            assertEquals(16, heardByRow0WhenFinished[0]);
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

    /**
     * A model whose config lists an end token besides the tokenizer's EOS (as Llama 3 Instruct's
     * 128009 besides 128001): the language model's generator stops there too and says which it was.
     */
    @Test
    void configEndTokensStopGenerationBesidesTheTokenizers() {
        try (LanguageModel lm = randomModel()) {
            GenerationConfig cfg = GenerationConfig.greedy().maxNewTokens(20);
            long[] free = lm.generate("cab", cfg.stopAtEos(false)).tokens();
            long eos = lm.tokenizer().eosId().orElseThrow();
            int k = 1;
            while (k < free.length && (free[k] == eos || contains(free, k, free[k]))) {
                k++;
            }
            assertTrue(k < free.length && !contains(free, k, eos), "need a fresh token after the first: " + Arrays.toString(free));
            LlamaConfig c = lm.model().config().toBuilder().eosTokenIds((int) free[k]).build();
            try (LanguageModel other = new LanguageModel(LlamaModel.create(c, 3), Tokenizer.load(TOKENIZER))) {
                assertEquals(List.of(eos, free[k]), List.copyOf(LanguageModel.endTokens(other.model(), other.tokenizer())));
                Generation g = other.generate("cab", cfg);
                assertArrayEquals(Arrays.copyOf(free, k), g.tokens());
                assertEquals("eos", g.finishReason());
                assertEquals(free[k], g.eosToken());
            }
        }
    }

    /** Whether ids[0..end) holds id. */
    static boolean contains(long[] ids, int end, long id) {
        return Arrays.stream(ids, 0, end).anyMatch(x -> x == id);
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
