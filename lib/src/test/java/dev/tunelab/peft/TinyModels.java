package dev.tunelab.peft;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.train.TrainConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Tiny random Llama models and helpers shared by the PEFT and alignment tests. */
public final class TinyModels {
    static final long[][] IDS = {{1, 5, 3, 9, 2, 7, 30, 4}, {4, 4, 8, 0, 10, 6, 17, 21}};

    private TinyModels() {}

    /** GQA (4 query heads, 2 KV heads), untied LM head, 2 layers. */
    public static LlamaConfig config() {
        return LlamaConfig.builder().vocabSize(32).hiddenSize(16).intermediateSize(32).layers(2).heads(4).kvHeads(2)
                .maxPositions(64).tieWordEmbeddings(false).initializerRange(0.2).build();
    }

    public static LlamaModel model(long seed) {
        return LlamaModel.create(config(), seed);
    }

    public static LlamaModel model64(long seed) {
        return LlamaModel.create(config(), seed, Engine.getInstance().defaultDevice(), DataType.FLOAT64);
    }

    /** Logits of {@link #IDS} as a flat array, evaluated without gradient. */
    static float[] logits(LlamaModel model) {
        return logits(model, IDS);
    }

    static float[] logits(LlamaModel model, long[][] ids) {
        return Autograd.noGrad(() -> {
            try (NDManager m = model.manager().newSubManager()) {
                return model.forward(m.create(ids)).toType(DataType.FLOAT32, false).toFloatArray();
            }
        });
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    /** Copies of every parameter's values, by name. */
    static Map<String, float[]> snapshot(Map<String, Parameter> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((n, p) -> out.put(n, p.data().toType(DataType.FLOAT32, false).toFloatArray()));
        return out;
    }

    /** Fills a parameter with N(0, std) values (to make a fresh adapter do something). */
    public static void randomize(Parameter p, Random random, double std) {
        NDArray d = p.data();
        float[] v = new float[(int) d.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        p.set(d.getManager().create(v, d.getShape()).toType(d.getDataType(), false));
    }

    static TrainConfig quickTraining(int steps) {
        return new TrainConfig().steps(steps).learningRate(1e-2).logEvery(steps).runsDir(null).progress(false).seed(3);
    }
}
