package dev.tunelab.align;

import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import java.util.Random;

/** Tiny random Llama models for the alignment tests. */
final class TinyAlign {
    private TinyAlign() {}

    static LlamaConfig config() {
        return LlamaConfig.builder().vocabSize(32).hiddenSize(16).intermediateSize(32).layers(2).heads(4).kvHeads(2)
                .maxPositions(64).tieWordEmbeddings(false).initializerRange(0.2).build();
    }

    static LlamaModel model(long seed) {
        return LlamaModel.create(config(), seed);
    }

    static LlamaModel model64(long seed) {
        return LlamaModel.create(config(), seed, Engine.getInstance().defaultDevice(), DataType.FLOAT64);
    }

    /** Fills a parameter with N(0, std) values (so that a fresh LoRA adapter changes the model). */
    static void randomize(Parameter p, Random random, double std) {
        var d = p.data();
        float[] v = new float[(int) d.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        p.set(d.getManager().create(v, d.getShape()).toType(d.getDataType(), false));
    }
}
