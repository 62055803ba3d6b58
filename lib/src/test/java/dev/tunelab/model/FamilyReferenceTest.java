package dev.tunelab.model;

import static dev.tunelab.model.LlamaReferenceTest.FIXTURES;
import static dev.tunelab.model.LlamaReferenceTest.row;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.generate.Generator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the model families add beyond one forward pass, against the same PyTorch reference as
 * {@link LlamaReferenceTest}: Mistral's sliding window through the KV cache, and Llama 3's end
 * tokens from config.json and generation_config.json.
 */
class FamilyReferenceTest {
    static JsonNode reference(String fixture) throws Exception {
        return new ObjectMapper().readTree(FIXTURES.resolve(fixture).resolve("reference.json").toFile());
    }

    /**
     * mistral-sliding-gqa has a window of 5; its 12-token prompt and 10 greedy tokens make 22
     * positions. Fed through the KV cache (the prompt at once, then 3 tokens, then one by one),
     * each step's logits equal the reference's full forward pass and tunelab's own, so the cache
     * hides exactly the keys the window hides.
     */
    @Test
    void cachedStepsPastTheWindowMatchTheFullForward() throws Exception {
        JsonNode ref = reference("mistral-sliding-gqa");
        long[] prompt = row(ref.get("greedy_prompt"));
        long[] greedy = row(ref.get("greedy"));
        long[] sequence = concat(prompt, greedy);
        JsonNode expected = ref.get("greedy_step_logits");
        try (LlamaModel model = LlamaModel.load(FIXTURES.resolve("mistral-sliding-gqa"));
                NDManager m = model.manager().newSubManager();
                KVCache cache = new KVCache(m, model.config(), 1, sequence.length, DataType.FLOAT32)) {
            assertEquals(5, model.config().slidingWindow());
            assertTrue(sequence.length > 4 * model.config().slidingWindow());
            int vocab = model.config().vocabSize();
            // Full forward of prompt + greedy[:-1]: position prompt.length - 1 + k holds step k's logits.
            int n = sequence.length - 1;
            float[] full = model.forward(m.create(Arrays.copyOf(sequence, n)).reshape(1, n)).toFloatArray();

            List<float[]> steps = new ArrayList<>(); // last-position logits after each cached call
            int[] chunks = {prompt.length, 3, 1, 1, 1, 1, 1, 1};
            int at = 0;
            for (int len : chunks) {
                long[] piece = Arrays.copyOfRange(sequence, at, at + len);
                float[] out = model.forward(m.create(piece).reshape(1, len), null, null, cache).toFloatArray();
                for (int t = 0; t < len; t++) {
                    int position = at + t;
                    if (position >= prompt.length - 1) {
                        steps.add(Arrays.copyOfRange(out, t * vocab, (t + 1) * vocab));
                    }
                }
                at += len;
            }
            assertEquals(n, at);
            assertEquals(greedy.length, steps.size());
            double maxRel = 0;
            double maxVsFull = 0;
            for (int k = 0; k < greedy.length; k++) {
                int position = prompt.length - 1 + k;
                for (int v = 0; v < vocab; v++) {
                    double e = expected.get(k * vocab + v).asDouble();
                    double cached = steps.get(k)[v];
                    maxRel = Math.max(maxRel, Math.abs(cached - e) / Math.max(Math.abs(e), 1e-2));
                    maxVsFull = Math.max(maxVsFull, Math.abs(cached - full[position * vocab + v]));
                }
            }
            assertTrue(maxRel < 1e-4, "cached step logits vs reference: max relative error " + maxRel);
            assertTrue(maxVsFull < 1e-5, "cached step logits vs tunelab's full forward: max difference " + maxVsFull);
        }
    }

    /**
     * Left-padded batches and the window: each row continues as it does alone, with and without
     * the cache, and the unpadded prompt as the reference does.
     */
    @Test
    void batchedGenerationWithTheWindowEqualsOneByOne() throws Exception {
        JsonNode ref = reference("mistral-sliding-gqa");
        long[] prompt = row(ref.get("greedy_prompt"));
        List<long[]> prompts = List.of(prompt, Arrays.copyOfRange(prompt, 5, 12), Arrays.copyOfRange(prompt, 2, 5));
        try (LlamaModel model = LlamaModel.load(FIXTURES.resolve("mistral-sliding-gqa"))) {
            Generator g = new Generator(model, -1, 0, null);
            for (boolean cache : new boolean[] {true, false}) {
                GenerationConfig cfg = GenerationConfig.greedy().maxNewTokens(10).useCache(cache);
                List<Generation> together = g.generate(prompts, cfg);
                assertArrayEquals(row(ref.get("greedy")), together.get(0).tokens(), "cache=" + cache);
                for (int i = 1; i < prompts.size(); i++) {
                    long[] alone = g.generate(List.of(prompts.get(i)), cfg).get(0).tokens();
                    assertArrayEquals(alone, together.get(i).tokens(), "prompt " + i + " cache=" + cache);
                    long[] uncached = g.generate(List.of(prompts.get(i)), cfg.useCache(false)).get(0).tokens();
                    assertArrayEquals(uncached, alone, "prompt " + i + " alone, cache=" + cache);
                }
            }
        }
    }

    /**
     * llama3-tied-eos lists end tokens [EOS, a] in config.json and [EOS, b] in
     * generation_config.json, b being a greedy token before a: generation stops before b, and
     * with config.json's ids alone it would run on to a.
     */
    @Test
    void everyEndTokenOfBothFilesStopsGeneration(@TempDir Path tmp) throws Exception {
        JsonNode ref = reference("llama3-tied-eos");
        Path dir = FIXTURES.resolve("llama3-tied-eos");
        List<Integer> fromConfig = ints(ref.get("eos_config_json"));
        List<Integer> fromGeneration = ints(ref.get("eos_generation_config_json"));
        Set<Integer> union = new LinkedHashSet<>(fromConfig);
        union.addAll(fromGeneration);
        try (LlamaModel model = LlamaModel.load(dir)) {
            assertEquals(List.copyOf(union), model.config().eosTokenIds(), "config.json's ids, then generation_config.json's");
            assertEquals((int) fromConfig.get(0), model.config().eosTokenId(), "eosTokenId() is config.json's first");
            long[] prompt = row(ref.get("greedy_prompt"));
            GenerationConfig greedy = GenerationConfig.greedy().maxNewTokens(10);

            Generation both = new Generator(model, longs(model.config().eosTokenIds()), 0, null)
                    .generate(List.of(prompt), greedy).get(0);
            assertArrayEquals(row(ref.get("greedy_until_eos")), both.tokens());
            assertEquals("eos", both.finishReason());
            assertEquals((long) fromGeneration.get(1), both.eosToken());

            Generation configOnly = new Generator(model, longs(fromConfig), 0, null).generate(List.of(prompt), greedy).get(0);
            assertArrayEquals(row(ref.get("greedy_until_config_eos")), configOnly.tokens());
            assertEquals((long) fromConfig.get(1), configOnly.eosToken());
        }
        // config.json without its generation_config.json keeps only its own list
        Files.copy(dir.resolve("config.json"), tmp.resolve("config.json"));
        assertEquals(fromConfig, LlamaConfig.load(tmp.resolve("config.json")).eosTokenIds());
    }

    static List<Integer> ints(JsonNode list) {
        List<Integer> out = new ArrayList<>();
        list.forEach(v -> out.add(v.asInt()));
        return out;
    }

    static Set<Long> longs(List<Integer> ids) {
        Set<Long> out = new LinkedHashSet<>();
        ids.forEach(id -> out.add((long) id));
        return out;
    }

    static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
