package dev.tunelab.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.generate.Generator;
import dev.tunelab.train.Batch;
import dev.tunelab.train.Losses;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Logits, loss and greedy tokens against an independent PyTorch implementation of Hugging Face's
 * LlamaForCausalLM, MistralForCausalLM and Qwen2ForCausalLM (lib/src/test/python/make_llama_reference.py,
 * computed in float64).
 */
class LlamaReferenceTest {
    static final Path FIXTURES = Path.of("src/test/resources/reference");

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa-untied", "llama-tied-rope3", "llama-headdim-mlpbias", "llama3-tied-eos",
        "qwen2-bias-tied", "qwen2-sliding-layers", "mistral-sliding-gqa"})
    void logitsLossAndGreedyTokensMatchReference(String fixture) throws Exception {
        Path dir = FIXTURES.resolve(fixture);
        JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        long[][] ids = longs(ref.get("input_ids"));
        long[][] mask = longs(ref.get("attention_mask"));
        long[][] labels = longs(ref.get("labels"));
        try (LlamaModel model = LlamaModel.load(dir); NDManager m = model.manager().newSubManager()) {
            Batch batch = new Batch(ids, labels, mask);
            NDArray logits = model.forward(batch.inputIds(m), batch.attentionMask(m), null, null);
            float[] actual = logits.toFloatArray();
            JsonNode expected = ref.get("logits");
            int vocab = model.config().vocabSize();
            assertEquals(expected.size(), actual.length);
            double maxRel = 0;
            for (int i = 0; i < actual.length; i++) {
                int row = i / (ids[0].length * vocab);
                int pos = (i / vocab) % ids[0].length;
                if (mask[row][pos] == 0) {
                    continue; // padded positions have no defined output
                }
                double e = expected.get(i).asDouble();
                double err = Math.abs(actual[i] - e) / Math.max(Math.abs(e), 1e-2);
                maxRel = Math.max(maxRel, err);
            }
            assertTrue(maxRel < 1e-4, fixture + ": max relative logit error " + maxRel);

            double loss = Losses.causalLm(logits, batch.labels(m)).getFloat();
            assertEquals(ref.get("loss").asDouble(), loss, 1e-4 * ref.get("loss").asDouble(), fixture + " loss");

            long[] prompt = row(ref.get("greedy_prompt"));
            long[] greedy = row(ref.get("greedy"));
            for (boolean cache : new boolean[] {true, false}) {
                Generator g = new Generator(model, -1, 0, null);
                Generation out = g.generate(List.of(prompt),
                        GenerationConfig.greedy().maxNewTokens(greedy.length).useCache(cache)).get(0);
                assertArrayEquals(greedy, out.tokens(), fixture + " greedy tokens, cache=" + cache);
            }
        }
    }

    static long[][] longs(JsonNode rows) {
        long[][] out = new long[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            out[i] = row(rows.get(i));
        }
        return out;
    }

    static long[] row(JsonNode row) {
        long[] out = new long[row.size()];
        for (int j = 0; j < row.size(); j++) {
            out[j] = row.get(j).asLong();
        }
        return out;
    }
}
