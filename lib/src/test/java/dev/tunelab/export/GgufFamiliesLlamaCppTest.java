package dev.tunelab.export;

import static dev.tunelab.export.GgufLlamaCppTest.argmax;
import static dev.tunelab.export.GgufLlamaCppTest.cosine;
import static dev.tunelab.export.GgufLlamaCppTest.matVec;
import static dev.tunelab.export.GgufLlamaCppTest.maxAbsDiff;
import static dev.tunelab.export.GgufLlamaCppTest.norm;
import static dev.tunelab.export.GgufLlamaCppTest.range;
import static dev.tunelab.export.GgufLlamaCppTest.relativeError;
import static dev.tunelab.export.GgufLlamaCppTest.scale;
import static dev.tunelab.export.GgufLlamaCppTest.softmax;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.args.PoolingType;
import dev.tunelab.LanguageModel;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.io.GgufTestReader;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Qwen2 and Mistral models written as GGUF and run by llama.cpp (build b4916, through
 * {@code de.kherud:llama} 4.2.0), as {@link GgufLlamaCppTest} does for the shipped Llama model:
 * the same greedy continuation and the final hidden states and logits close to tunelab's, for f32
 * and f16 files.
 *
 * <p>The models are random, in small shapes, with the shipped tokenizer (so the file's vocabulary
 * is the GPT-2 form the Llama test checks): Qwen2 with random q/k/v biases (transformers
 * initialises them to zero, which would hide a missing or misplaced bias) and rope theta 1e6,
 * Mistral with grouped K/V heads, an untied head and a sliding window as long as the context
 * (which attends to every earlier position, so the file computes the same). Weights are drawn
 * with standard deviation 0.3 so that attention depends on position and a wrong rope row order
 * or bias shows. Skipped where llama.cpp cannot run ({@link LlamaCppRuntime}).
 */
class GgufFamiliesLlamaCppTest {
    static final String PROMPT = "Tom and his dog went to the park. They";
    static final int NEW_TOKENS = 24;

    @TempDir Path tmp;

    @BeforeEach
    void requireLlamaCpp() {
        String why = LlamaCppRuntime.unavailableReason();
        Assumptions.assumeTrue(why == null, why);
    }

    @Test
    void qwen2WithBiasesRunsTheSameInLlamaCpp() throws IOException {
        LlamaConfig c = LlamaConfig.builder().modelType("qwen2").vocabSize(2048).hiddenSize(64).heads(4).kvHeads(2)
                .intermediateSize(128).layers(2).maxPositions(512).ropeTheta(1_000_000).initializerRange(0.3).build();
        assertTrue(c.attentionBias() && c.tieWordEmbeddings());
        Map<String, Object> meta = runBoth(c, "qwen2");
        assertEquals("qwen2", meta.get("general.architecture"));
        assertEquals(1_000_000f, meta.get("qwen2.rope.freq_base"));
    }

    @Test
    void mistralRunsTheSameInLlamaCppAsALlamaArchitecture() throws IOException {
        LlamaConfig c = LlamaConfig.builder().modelType("mistral").vocabSize(2048).hiddenSize(64).heads(4).kvHeads(2)
                .intermediateSize(128).layers(2).maxPositions(512).slidingWindow(512).ropeTheta(1_000_000)
                .tieWordEmbeddings(false).initializerRange(0.3).build();
        assertEquals(512, c.slidingWindow());
        Map<String, Object> meta = runBoth(c, "mistral");
        assertEquals("llama", meta.get("general.architecture"));
    }

    /** Writes f32 and f16 files of a random model of config {@code c} and compares llama.cpp's results with tunelab's. */
    Map<String, Object> runBoth(LlamaConfig c, String family) throws IOException {
        try (LanguageModel lm = new LanguageModel(LlamaModel.create(c, 7), Tokenizer.load(GgufLlamaCppTest.MODEL))) {
            randomizeBiases(lm.model(), 0.3, 11);
            long[] ids = lm.tokenizer().encode(PROMPT);
            float[][] hidden = hiddenStates(lm.model(), ids);
            float[] first = hidden[0];
            float[] last = hidden[ids.length - 1];
            Map<String, Parameter> p = lm.model().namedParameters();
            float[] head = p.get(c.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight").data().toFloatArray();
            float[] ourLogits = matVec(head, last);
            String ours = lm.generate(PROMPT, GenerationConfig.greedy().maxNewTokens(NEW_TOKENS)).text();

            // f32: GgufLlamaCppTest's bounds (summation order only). Measured on an x86-64 CPU: qwen2
            // 5.3e-7, 3.9e-13, 6.9e-6, 1.8e-7; mistral 4.5e-7, 2.6e-13, 6.0e-6, 1.0e-7.
            // f16: GgufLlamaCppTest's bounds for the hidden state's relative error and the probabilities;
            // 1-cos and logits 10x and 5x looser, as rounding random weights of std 0.3 to 11 bits moves
            // them more than the trained model's: measured qwen2 7.3e-4, 2.1e-6, 2.0e-2, 1.9e-4; mistral
            // 8.9e-4, 2.7e-6, 1.9e-2, 3.9e-4 (logits span 15). Checked by breaking the qwen2 f32 file:
            // zero biases give last-position 1-cos 7.9e-2, llama's Q/K row order 0.70.
            double[][] bounds = {{1e-5, 1e-9, 1e-4, 1e-5}, {2e-3, 1e-5, 5e-2, 1e-3}};
            List<GgufOptions> options = List.of(GgufOptions.f32(), GgufOptions.f16());
            Map<String, Object> meta = null;
            for (int k = 0; k < options.size(); k++) {
                String type = k == 0 ? "f32" : "f16";
                Path file = lm.saveGguf(tmp.resolve(family + "-" + type + ".gguf"), options.get(k)).file();
                meta = new GgufTestReader(file).metadata;
                String theirs;
                try (de.kherud.llama.LlamaModel llama = GgufLlamaCppTest.llama(file, null)) {
                    assertEquals(Arrays.toString(lm.tokenizer().encode(PROMPT, false)),
                            Arrays.toString(Arrays.stream(llama.encode(PROMPT)).asLongStream().toArray()), "tokens");
                    StringBuilder text = new StringBuilder();
                    for (LlamaOutput o : llama.generate(new InferenceParameters(PROMPT).setNPredict(NEW_TOKENS)
                            .setTemperature(0).setTopK(1).setRepeatPenalty(1f).setSeed(1))) {
                        text.append(o.text);
                    }
                    theirs = text.toString();
                }
                float[] theirFirst;
                float[] theirLastUnit;
                try (de.kherud.llama.LlamaModel none = GgufLlamaCppTest.llama(file, PoolingType.NONE)) {
                    theirFirst = none.embed(PROMPT);
                }
                try (de.kherud.llama.LlamaModel lastPool = GgufLlamaCppTest.llama(file, PoolingType.LAST)) {
                    theirLastUnit = lastPool.embed(PROMPT);
                }
                float[] theirLogits = matVec(head, scale(theirLastUnit, norm(last)));
                double[] row = {
                    relativeError(theirFirst, first),
                    1 - cosine(theirLastUnit, last),
                    maxAbsDiff(theirLogits, ourLogits),
                    maxAbsDiff(softmax(theirLogits), softmax(ourLogits)),
                };
                System.out.printf("%s %s: first-position hidden relative error %.2e, last-position 1-cos %.2e,"
                        + " max |logit diff| %.2e (logits span %.1f), max |prob diff| %.2e%n  tunelab:   %s%n  llama.cpp: %s%n",
                        family, type, row[0], row[1], row[2], range(ourLogits), row[3], ours, theirs);
                for (int i = 0; i < row.length; i++) {
                    assertTrue(row[i] <= bounds[k][i], family + " " + type + " measure " + i + ": " + row[i] + " > " + bounds[k][i]);
                }
                assertEquals(argmax(ourLogits), argmax(theirLogits), family + " " + type + ": next token");
                assertEquals(ours, theirs, family + " " + type + ": greedy continuation");
            }
            return meta;
        }
    }

    /** Replaces every bias (zero after LlamaModel.create) with N(0, std) values. */
    static void randomizeBiases(LlamaModel model, double std, long seed) {
        Random random = new Random(seed);
        for (var e : model.namedParameters().entrySet()) {
            if (e.getKey().endsWith(".bias")) {
                NDArray data = e.getValue().data();
                float[] v = new float[Math.toIntExact(data.size())];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (random.nextGaussian() * std);
                }
                data.set(v);
            }
        }
    }

    /** tunelab's final-norm hidden state per position, (T, hidden). */
    static float[][] hiddenStates(LlamaModel model, long[] ids) {
        try (NDManager m = model.manager().newSubManager()) {
            NDArray h = model.hidden(m.create(ids).reshape(1, ids.length), null, null, null);
            int d = (int) h.getShape().get(2);
            float[] flat = h.toFloatArray();
            float[][] out = new float[ids.length][];
            for (int t = 0; t < ids.length; t++) {
                out[t] = Arrays.copyOfRange(flat, t * d, (t + 1) * d);
            }
            return out;
        }
    }
}
