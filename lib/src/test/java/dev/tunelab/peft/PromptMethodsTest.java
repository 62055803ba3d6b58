package dev.tunelab.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.generate.Generator;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.Dense;
import dev.tunelab.model.KVCache;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.train.Trainer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Prompt tuning, prefix tuning and IA3 checked against the base model doing the same thing by other means. */
class PromptMethodsTest {
    static final long[] PROMPT = {12, 3, 27};

    /** Logits of the last T positions of the base model on [prefix; ids]. */
    static float[] baseOnPrefixedIds(LlamaModel base, long[] prefix) {
        long[][] ids = TinyModels.IDS;
        long[][] joined = new long[ids.length][];
        for (int b = 0; b < ids.length; b++) {
            joined[b] = new long[prefix.length + ids[b].length];
            System.arraycopy(prefix, 0, joined[b], 0, prefix.length);
            System.arraycopy(ids[b], 0, joined[b], prefix.length, ids[b].length);
        }
        float[] all = TinyModels.logits(base, joined);
        int vocab = 32;
        int t = ids[0].length;
        int s = t + prefix.length;
        float[] tail = new float[ids.length * t * vocab];
        for (int b = 0; b < ids.length; b++) {
            System.arraycopy(all, (b * s + prefix.length) * vocab, tail, b * t * vocab, t * vocab);
        }
        return tail;
    }

    @Test
    void promptTuningFromTokensEqualsThoseTokensInFront() {
        try (LlamaModel base = TinyModels.model(6); LlamaModel model = TinyModels.model(6)) {
            float[] expected = baseOnPrefixedIds(base, PROMPT);
            PeftModel peft = PromptTuning.applyFromTokens(model, PromptTuningConfig.builder().numVirtualTokens(3).build(), PROMPT);
            assertTrue(TinyModels.maxAbsDiff(expected, TinyModels.logits(model)) < 1e-5);
            assertEquals(3 * 16, peft.parameterCounts().trainable());
            assertEquals(3, model.virtualTokens());
            // PEFT's TEXT init repeats the tokens to fill P
            try (LlamaModel again = TinyModels.model(6)) {
                PromptTuning.applyFromTokens(again, PromptTuningConfig.builder().numVirtualTokens(5).build(), new long[] {12, 3});
                assertTrue(TinyModels.maxAbsDiff(baseOnPrefixedIds(base, new long[] {12, 3, 12, 3, 12}), TinyModels.logits(again)) < 1e-5);
            }
        }
    }

    /** The keys and values the base model caches for the prompt tokens, laid out as PEFT's prefix table. */
    static float[] prefixTableFromCache(LlamaModel base, long[] prompt) {
        var c = base.config();
        int kv = c.numKeyValueHeads() * c.headDim();
        int p = prompt.length;
        float[] table = new float[p * c.numHiddenLayers() * 2 * kv];
        Autograd.noGrad(() -> {
            try (NDManager m = base.manager().newSubManager();
                    KVCache cache = new KVCache(m, c, 1, p, DataType.FLOAT32)) {
                base.forward(m.create(new long[][] {prompt}), null, null, cache);
                for (int l = 0; l < c.numHiddenLayers(); l++) {
                    float[][] kvs = {cache.keys(l).toFloatArray(), cache.values(l).toFloatArray()}; // (1, heads, P, D)
                    for (int which = 0; which < 2; which++) {
                        for (int h = 0; h < c.numKeyValueHeads(); h++) {
                            for (int pos = 0; pos < p; pos++) {
                                for (int d = 0; d < c.headDim(); d++) {
                                    int column = (2 * l + which) * kv + h * c.headDim() + d;
                                    table[pos * c.numHiddenLayers() * 2 * kv + column] = kvs[which][(h * p + pos) * c.headDim() + d];
                                }
                            }
                        }
                    }
                }
            }
        });
        return table;
    }

    @Test
    void prefixOfCachedKeysAndValuesEqualsThoseTokensInFront() {
        try (LlamaModel base = TinyModels.model(7); LlamaModel model = TinyModels.model(7)) {
            float[] expected = baseOnPrefixedIds(base, PROMPT);
            float[] table = prefixTableFromCache(base, PROMPT);
            PeftModel peft = PrefixTuning.applyForInference(model, PrefixTuningConfig.builder().numVirtualTokens(3).build());
            Parameter p = peft.adapterParameters("default").values().iterator().next();
            p.set(model.manager().create(table, p.data().getShape()));
            assertTrue(TinyModels.maxAbsDiff(expected, TinyModels.logits(model)) < 1e-5,
                    "the prefix acts as tokens at positions 0..P-1, as in PEFT: " + TinyModels.maxAbsDiff(expected, TinyModels.logits(model)));
            assertEquals(0, model.virtualTokens(), "prefixes take no KV cache positions");
        }
    }

    /** Feeding the ids in two pieces through a KV cache gives the same last logits as one pass. */
    static void cachedMatchesFull(LlamaModel model) {
        float[] full = TinyModels.logits(model);
        float[] stepped = Autograd.noGrad(() -> {
            try (NDManager m = model.manager().newSubManager();
                    KVCache cache = new KVCache(m, model.config(), 2, 8 + model.virtualTokens(), DataType.FLOAT32)) {
                NDArray ids = m.create(TinyModels.IDS);
                model.forward(ids.get(":, :5"), null, null, cache);
                return model.forward(ids.get(":, 5:"), null, null, cache).toFloatArray();
            }
        });
        float[] lastThree = new float[2 * 3 * 32];
        for (int b = 0; b < 2; b++) {
            System.arraycopy(full, (b * 8 + 5) * 32, lastThree, b * 3 * 32, 3 * 32);
        }
        assertTrue(TinyModels.maxAbsDiff(lastThree, stepped) < 1e-5, "cached " + TinyModels.maxAbsDiff(lastThree, stepped));
    }

    @Test
    void kvCacheWorksWithPromptAndPrefix() {
        try (LlamaModel model = TinyModels.model(8)) {
            PromptTuning.apply(model, PromptTuningConfig.builder().numVirtualTokens(4).build());
            cachedMatchesFull(model);
        }
        try (LlamaModel model = TinyModels.model(8)) {
            PrefixTuning.apply(model, PrefixTuningConfig.builder().numVirtualTokens(4).prefixProjection(true).build());
            cachedMatchesFull(model);
        }
    }

    @Test
    void generatorGivesTheSameTokensWithAndWithoutCache() {
        // ragged prompts: the Generator left-pads and passes masks and positions on every step
        List<long[]> prompts = List.of(new long[] {3, 9, 4}, new long[] {7, 1, 2, 30, 8});
        Map<String, Function<LlamaModel, PeftModel>> methods = Map.of(
                "prompt", m -> PromptTuning.apply(m, PromptTuningConfig.builder().numVirtualTokens(3).build()),
                "prefix", m -> PrefixTuning.apply(m, PrefixTuningConfig.builder().numVirtualTokens(3).build()));
        methods.forEach((name, method) -> {
            try (LlamaModel model = TinyModels.model(13)) {
                method.apply(model);
                Generator generator = new Generator(model, 31, 0, ids -> Arrays.toString(ids));
                GenerationConfig greedy = GenerationConfig.greedy().maxNewTokens(6).stopAtEos(false);
                List<Generation> cached = generator.generate(prompts, greedy.useCache(true));
                List<Generation> uncached = generator.generate(prompts, greedy.useCache(false));
                for (int i = 0; i < prompts.size(); i++) {
                    assertArrayEquals(uncached.get(i).tokens(), cached.get(i).tokens(), name + " prompt " + i);
                }
            }
        });
    }

    @Test
    void paddingMaskAndPositionsPassThePromptAlong() {
        // a left-padded row with explicit positions must give the same logits for its real tokens as the unpadded row
        List<Consumer<LlamaModel>> adapters = List.of(
                m -> PrefixTuning.apply(m, PrefixTuningConfig.builder().numVirtualTokens(2).build()),
                m -> PromptTuning.apply(m, PromptTuningConfig.builder().numVirtualTokens(2).build()));
        for (Consumer<LlamaModel> attach : adapters) {
            try (LlamaModel model = TinyModels.model(9)) {
                attach.accept(model);
                float[] plain = TinyModels.logits(model, new long[][] {{5, 6, 7}});
                float[] padded = Autograd.noGrad(() -> {
                    try (NDManager m = model.manager().newSubManager()) {
                        NDArray ids = m.create(new long[][] {{0, 0, 5, 6, 7}});
                        NDArray mask = m.create(new long[][] {{0, 0, 1, 1, 1}});
                        NDArray pos = m.create(new long[][] {{0, 0, 0, 1, 2}});
                        return model.forward(ids, mask, pos, null).get(":, 2:, :").toFloatArray();
                    }
                });
                assertTrue(TinyModels.maxAbsDiff(plain, padded) < 1e-5);
            }
        }
    }

    @Test
    void ia3StartsAtTheBaseAndEqualsRescaledWeights() {
        try (LlamaModel base = TinyModels.model(10); LlamaModel model = TinyModels.model(10)) {
            float[] before = TinyModels.logits(model);
            PeftModel peft = Ia3.apply(model, Ia3Config.builder().build());
            assertArrayEquals(before, TinyModels.logits(model), "ones: exactly the base model");
            assertEquals(2 * (8 + 8 + 32), peft.parameterCounts().trainable());
            Random random = new Random(4);
            Ia3.layers(model).values().forEach(l -> TinyModels.randomize(l.scale(), random, 1.0));
            // the same map by rescaled weights: rows of k/v (outputs), columns of down_proj (its inputs)
            Ia3.layers(model).forEach((path, l) -> {
                float[] s = l.scale().data().toFloatArray();
                Dense d = (Dense) base.namedModules().get(path);
                float[] w = d.weight().data().toFloatArray();
                int in = (int) d.inFeatures();
                for (int i = 0; i < w.length; i++) {
                    w[i] *= l.feedforward() ? s[i % in] : s[i / in];
                }
                d.weight().set(base.manager().create(w, d.weight().data().getShape()));
            });
            assertTrue(TinyModels.maxAbsDiff(TinyModels.logits(base), TinyModels.logits(model)) < 1e-5);
        }
    }

    @Test
    void trainingChangesOnlyAdapterParametersForEveryMethod() {
        Map<String, Function<LlamaModel, PeftModel>> methods = Map.of(
                "prompt", m -> PromptTuning.apply(m, PromptTuningConfig.builder().numVirtualTokens(4).build()),
                "prefix", m -> PrefixTuning.apply(m, PrefixTuningConfig.builder().numVirtualTokens(4).prefixProjection(true).build()),
                "ia3", m -> Ia3.apply(m, Ia3Config.builder().build()));
        methods.forEach((name, method) -> {
            try (LlamaModel model = TinyModels.model(11)) {
                PeftModel peft = method.apply(model);
                Map<String, Parameter> all = model.namedParameters();
                var adapter = peft.adapterParameters("default").keySet();
                assertEquals(adapter, model.trainableParameters().keySet(), name);
                Map<String, float[]> before = TinyModels.snapshot(all);
                Trainer.fit(model, LoraTest.counting(3_000, 3), null, TinyModels.quickTraining(10));
                Map<String, float[]> after = TinyModels.snapshot(all);
                for (String p : all.keySet()) {
                    if (adapter.contains(p)) {
                        assertFalse(Arrays.equals(before.get(p), after.get(p)), name + ": " + p + " should train");
                    } else {
                        assertArrayEquals(before.get(p), after.get(p), name + ": " + p);
                        assertNull(all.get(p).gradient(all.get(p).data().getManager()), name + ": " + p);
                    }
                }
            }
        });
    }

    @Test
    void unloadRestoresTheBase() {
        try (LlamaModel model = TinyModels.model(12)) {
            float[] before = TinyModels.logits(model);
            PromptTuning.apply(model, PromptTuningConfig.builder().numVirtualTokens(2).build()).unload();
            assertArrayEquals(before, TinyModels.logits(model));
            assertNull(model.promptAdapter());
            Ia3.apply(model, Ia3Config.builder().build()).unload();
            assertArrayEquals(before, TinyModels.logits(model));
            assertEquals(new Shape(8, 16), ((Dense) model.namedModules().get("model.layers.0.self_attn.k_proj")).weight().data().getShape());
        }
    }
}
