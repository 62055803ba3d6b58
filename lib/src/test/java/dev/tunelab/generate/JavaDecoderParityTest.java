package dev.tunelab.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.Ia3;
import dev.tunelab.peft.Ia3Config;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.peft.PrefixTuning;
import dev.tunelab.peft.PrefixTuningConfig;
import dev.tunelab.peft.PromptTuning;
import dev.tunelab.peft.PromptTuningConfig;
import dev.tunelab.peft.QuantFormat;
import dev.tunelab.peft.Quantization;
import dev.tunelab.peft.TinyModels;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The Java decoder against the DJL forward pass it replaces on the CPU: logits within 1e-4 of
 * their scale at every position, for every model family feature; the same greedy and seeded
 * sampled tokens through the Generator for plain models and every adapter kind; and the same
 * bits whatever the batch and the number of threads.
 */
class JavaDecoderParityTest {
    static final int VOCAB = 96;

    /** Llama with GQA and tied embeddings; Qwen2 (q/k/v bias, untied); llama3 rope scaling with every bias and head_dim != hidden/heads; head_dim 4. */
    static Map<String, LlamaConfig> families() {
        Map<String, LlamaConfig> m = new LinkedHashMap<>();
        m.put("llama-gqa", LlamaConfig.builder().vocabSize(VOCAB).hiddenSize(64).intermediateSize(96).layers(2).heads(4)
                .kvHeads(2).maxPositions(128).initializerRange(0.3).build());
        m.put("qwen2", new LlamaConfig("qwen2", VOCAB, 48, 80, 2, 6, 2, 8, 1e-6, 1e6, null, 128, false,
                true, false, false, 0, 0, 1, java.util.List.of(2), 0, 0.3, 0.0));
        m.put("llama3-scaled-biases", LlamaConfig.builder().vocabSize(VOCAB).hiddenSize(48).intermediateSize(64).layers(3)
                .heads(4).kvHeads(4).headDim(16).ropeTheta(500000).maxPositions(128)
                .ropeScaling(new LlamaConfig.RopeScaling("llama3", 8, 1, 4, 32)).tieWordEmbeddings(false)
                .attentionBias(true).mlpBias(true).initializerRange(0.3).build());
        m.put("head-dim-4", LlamaConfig.builder().vocabSize(VOCAB).hiddenSize(16).intermediateSize(32).layers(2).heads(4)
                .kvHeads(1).maxPositions(128).initializerRange(0.5).build());
        return m;
    }

    /** DJL logits (T, vocab) of one unpadded sequence. */
    static float[] djlLogits(LlamaModel model, long[] ids) {
        return Autograd.noGrad(() -> {
            try (NDManager m = model.manager().newSubManager()) {
                return model.forward(m.create(new long[][] {ids})).toType(DataType.FLOAT32, false).toFloatArray();
            }
        });
    }

    static double relativeError(float[] actual, float[] expected, int from, int count) {
        double worst = 0;
        double scale = 0;
        for (int i = 0; i < count; i++) {
            worst = Math.max(worst, Math.abs(actual[i] - expected[from + i]));
            scale = Math.max(scale, Math.abs(expected[from + i]));
        }
        return worst / scale;
    }

    static long[] randomIds(Random random, int n) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 3 + random.nextInt(VOCAB - 3);
        }
        return ids;
    }

    static int[] ints(long[] ids, int from, int to) {
        return Arrays.stream(Arrays.copyOfRange(ids, from, to)).mapToInt(Math::toIntExact).toArray();
    }

    @Test
    void logitsMatchTheDjlForwardAtEveryPositionForEveryFamily() {
        families().forEach((name, config) -> {
            try (LlamaModel model = LlamaModel.create(config, 11)) {
                assertNull(JavaDecoding.unsupportedReason(model), name);
                long[] ids = randomIds(new Random(5), 40);
                float[] expected = djlLogits(model, ids);
                JavaDecoder decoder = new JavaDecoder(DecoderWeights.read(model), 1, 40, new Workers(1));
                // a prompt of 25 tokens at once, then one token per step
                float[] prefill = decoder.feed(new int[][] {ints(ids, 0, 25)})[0];
                assertTrue(relativeError(prefill, expected, 24 * VOCAB, VOCAB) < 1e-4, name + " prefill");
                for (int t = 25; t < ids.length; t++) {
                    float[] step = decoder.feed(new int[][] {ints(ids, t, t + 1)})[0];
                    double err = relativeError(step, expected, t * VOCAB, VOCAB);
                    assertTrue(err < 1e-4, name + " position " + t + ": relative error " + err);
                }
            }
        });
    }

    @Test
    void aRowGetsTheSameBitsAloneInABatchAndOnTwoThreads() {
        LlamaConfig config = families().get("llama-gqa");
        try (LlamaModel model = LlamaModel.create(config, 12)) {
            DecoderWeights weights = DecoderWeights.read(model);
            Random random = new Random(6);
            long[][] prompts = {randomIds(random, 7), randomIds(random, 19), randomIds(random, 3)};
            float[][] alone = new float[3][];
            for (int b = 0; b < 3; b++) {
                JavaDecoder one = new JavaDecoder(weights, 1, 32, new Workers(1));
                alone[b] = one.feed(new int[][] {ints(prompts[b], 0, prompts[b].length)})[0];
                alone[b] = one.feed(new int[][] {{5}})[0];
            }
            JavaDecoder batch = new JavaDecoder(weights, 3, 32, new Workers(2));
            int[][] all = new int[3][];
            for (int b = 0; b < 3; b++) {
                all[b] = ints(prompts[b], 0, prompts[b].length);
            }
            batch.feed(all);
            float[][] together = batch.feed(new int[][] {{5}, {5}, {5}});
            for (int b = 0; b < 3; b++) {
                assertArrayEquals(alone[b], together[b], 0f, "row " + b);
            }
        }
    }

    /** Adapters with non-trivial weights, so that folding them into the copy is tested. */
    static Map<String, Consumer<LlamaModel>> adapters() {
        Map<String, Consumer<LlamaModel>> m = new LinkedHashMap<>();
        m.put("plain", model -> {});
        m.put("lora", model -> {
            Lora.apply(model, LoraConfig.builder().r(4).alpha(8).allLinear().build());
            Random r = new Random(1);
            model.trainableParameters().values().forEach(p -> TinyModels.randomize(p, r, 0.3));
        });
        m.put("qlora", model -> {
            Quantization.quantize(model, QuantFormat.NF4, true);
            Lora.apply(model, LoraConfig.builder().r(4).alpha(8).targetModules("q_proj", "v_proj", "down_proj").build());
            Random r = new Random(2);
            model.trainableParameters().values().forEach(p -> TinyModels.randomize(p, r, 0.3));
        });
        m.put("dora", model -> { // the copy folds m / ||W + s B A|| into each row
            Lora.apply(model, LoraConfig.builder().r(4).alpha(8).allLinear().useDora(true).build());
            Random r = new Random(4);
            model.trainableParameters().values().forEach(p -> TinyModels.randomize(p, r, 0.3));
            Lora.layers(model).values().forEach(l -> TinyModels.randomize(l.magnitude("default"), r, 1.0));
        });
        m.put("ia3", model -> {
            Ia3.apply(model, Ia3Config.builder().build());
            Random r = new Random(3);
            model.trainableParameters().values().forEach(p -> TinyModels.randomize(p, r, 1.0));
        });
        m.put("prompt", model -> PromptTuning.apply(model, PromptTuningConfig.builder().numVirtualTokens(5).build()));
        m.put("prefix", model -> PrefixTuning.apply(model,
                PrefixTuningConfig.builder().numVirtualTokens(4).prefixProjection(true).build()));
        return m;
    }

    @Test
    void generatorGivesTheDjlTokensForPlainModelsAndEveryAdapter() {
        List<long[]> prompts = List.of(new long[] {5, 9, 12, 7, 30, 4, 8}, new long[] {11, 3}, new long[] {20, 21, 22, 23});
        adapters().forEach((name, attach) -> {
            try (LlamaModel model = LlamaModel.create(families().get("llama-gqa"), 21)) {
                attach.accept(model);
                Generator djl = new Generator(model, 2, 0, null).backend(Backend.DJL);
                Generator java = new Generator(model, 2, 0, null).backend(Backend.JAVA);
                List<GenerationConfig> settings = List.of(
                        GenerationConfig.greedy().maxNewTokens(24).stopAtEos(false),
                        GenerationConfig.greedy().maxNewTokens(10).useCache(false),
                        GenerationConfig.sample(1.0).seed(4).maxNewTokens(24),
                        GenerationConfig.sample(0.7).topK(20).topP(0.9).seed(5).maxNewTokens(24));
                for (GenerationConfig cfg : settings) {
                    List<Generation> expected = djl.generate(prompts, cfg);
                    List<Generation> actual = java.generate(prompts, cfg);
                    for (int i = 0; i < prompts.size(); i++) {
                        assertArrayEquals(expected.get(i).tokens(), actual.get(i).tokens(), name + " " + cfg + " prompt " + i);
                        assertEquals(expected.get(i).finishReason(), actual.get(i).finishReason(), name + " prompt " + i);
                    }
                }
            }
        });
    }

    @Test
    void theShippedModelsGiveTheSameTokensOnBothPaths() {
        List<String> openings = List.of("Once upon a time there was a", "The little dog", "Tom and Sue went to the park. They");
        for (String name : List.of("tinystories-base", "tinystories-mini")) {
            try (LanguageModel lm = Models.load(Path.of("..", "datasets", "models", name))) {
                Generator djl = lm.generator().backend(Backend.DJL);
                Generator java = lm.generator().backend(Backend.JAVA);
                List<long[]> prompts = openings.stream().map(t -> lm.tokenizer().encode(t)).toList();
                for (GenerationConfig cfg : List.of(GenerationConfig.greedy().maxNewTokens(128).stopAtEos(false),
                        GenerationConfig.sample(0.8).topP(0.95).seed(9).maxNewTokens(128))) {
                    List<Generation> expected = djl.generate(prompts, cfg);
                    List<Generation> actual = java.generate(prompts, cfg);
                    for (int i = 0; i < prompts.size(); i++) {
                        assertArrayEquals(expected.get(i).tokens(), actual.get(i).tokens(), name + " " + cfg + " prompt " + i);
                    }
                }
            }
        }
    }

    @Test
    void autoFallsBackToDjlWithTheReasonWhereTheJavaDecoderCannotFollow() {
        List<long[]> prompt = List.of(new long[] {5, 9, 12});
        try (LlamaModel model = LlamaModel.create(families().get("llama-gqa"), 3)) {
            model.train(true); // dropout: random, so only the DJL path can compute it
            Generator generator = new Generator(model, 2, 0, null);
            assertTrue(generator.javaDecoderUnsupportedReason().contains("training mode"),
                    generator.javaDecoderUnsupportedReason());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> generator.backend(Backend.JAVA).generate(prompt, GenerationConfig.greedy()));
            assertTrue(e.getMessage().contains("training mode"), e.getMessage());
            model.train(false);
            assertNull(generator.javaDecoderUnsupportedReason());
        }
        LlamaConfig config = families().get("head-dim-4");
        try (LlamaModel model = LlamaModel.create(config, 3, Engine.getInstance().defaultDevice(), DataType.FLOAT64)) {
            Generator generator = new Generator(model, 2, 0, null);
            assertTrue(generator.javaDecoderUnsupportedReason().contains("float64"), generator.javaDecoderUnsupportedReason());
            List<Generation> auto = generator.generate(prompt, GenerationConfig.greedy().maxNewTokens(8));
            List<Generation> djl = generator.backend(Backend.DJL).generate(prompt, GenerationConfig.greedy().maxNewTokens(8));
            assertArrayEquals(djl.get(0).tokens(), auto.get(0).tokens());
        }
    }

    @Test
    void aModelTypeOrRopeScalingItDoesNotKnowIsNamed() {
        LlamaConfig base = families().get("llama-gqa");
        LlamaConfig yarn = base.toBuilder().ropeScaling(new LlamaConfig.RopeScaling("yarn", 4, 1, 4, 64)).build();
        assertEquals("rope_scaling type 'yarn' is not llama3", JavaDecoding.configProblem(yarn));
        assertNull(JavaDecoding.configProblem(base));
        LlamaConfig mistral = base.toBuilder().modelType("mistral").slidingWindow(8).build();
        assertEquals("layer 0 has sliding-window attention (sliding_window 8), which the Java decoder does not implement",
                JavaDecoding.configProblem(mistral));
        // another model_type cannot reach the decoder: LlamaConfig itself refuses it
        assertThrows(IllegalArgumentException.class, () -> new LlamaConfig("gpt_neox", VOCAB, 64, 96, 2, 4, 2, 16, 1e-5, 1e4,
                null, 128, true, false, false, false, 0, 0, 1, java.util.List.of(2), 0, 0.02, 0.0));
    }
}
