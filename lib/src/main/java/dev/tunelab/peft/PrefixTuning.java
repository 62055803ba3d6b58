package dev.tunelab.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tunelab.model.Dense;
import dev.tunelab.model.Embedding;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.PromptAdapter;
import java.util.Random;

/**
 * Prefix tuning's keys and values. A table (P, layers * 2 * kv_dim) holds, for each virtual
 * position, every layer's key and value (layer l: key at 2l, value at 2l + 1, heads then head_dim,
 * as PEFT's get_prompt splits it). With the reparameterisation the table is the output of an MLP
 * over an embedding (P, kv_dim), as in Li & Liang 2021 section 4.3.
 */
public final class PrefixTuning extends PromptAdapter {
    private final Embedding embedding;
    private final Dense up; // kv_dim -> encoder hidden, or null without projection
    private final Dense out; // encoder hidden -> layers * 2 * kv_dim, or null
    private final int layers;
    private final int kvHeads;
    private final int headDim;

    private PrefixTuning(NDArray table, Dense up, Dense out, LlamaConfig c) {
        this.embedding = addChild("embedding", new Embedding(table));
        this.layers = c.numHiddenLayers();
        this.kvHeads = c.numKeyValueHeads();
        this.headDim = c.headDim();
        if (up != null) {
            AdapterDict transform = addChild("transform", new AdapterDict()); // PEFT's Sequential: 0 Linear, 1 Tanh, 2 Linear
            transform.put("0", up);
            transform.put("2", out);
        }
        this.up = up;
        this.out = out;
    }

    /** Key/value width of one position in one layer (PEFT's token_dim, per KV head for GQA models). */
    static int kvDim(LlamaConfig c) {
        return c.numKeyValueHeads() * c.headDim();
    }

    /** Freezes the model and attaches trainable prefixes; the embedding starts N(0, 1) as nn.Embedding does. */
    public static PeftModel apply(LlamaModel model, PrefixTuningConfig config) {
        LlamaConfig c = model.config();
        Random random = new Random(config.seed());
        int p = config.numVirtualTokens();
        int kv = kvDim(c);
        int width = c.numHiddenLayers() * 2 * kv;
        NDManager mm = model.manager();
        if (!config.prefixProjection()) {
            return attach(model, config, new PrefixTuning(gaussian(mm, random, p, width, model), null, null, c));
        }
        int hidden = config.encoderHiddenSize() > 0 ? config.encoderHiddenSize() : kv;
        Dense up = torchLinear(mm, random, hidden, kv, model);
        Dense out = torchLinear(mm, random, width, hidden, model);
        return attach(model, config, new PrefixTuning(gaussian(mm, random, p, kv, model), up, out, c));
    }

    /** A prefix given as its final table (P, layers * 2 * kv_dim), as loaded from a PEFT file. */
    static PeftModel applyForInference(LlamaModel model, PrefixTuningConfig config) {
        LlamaConfig c = model.config();
        NDArray table = model.manager().zeros(new Shape(config.numVirtualTokens(), (long) c.numHiddenLayers() * 2 * kvDim(c)), model.dtype());
        return attach(model, config, new PrefixTuning(table, null, null, c));
    }

    private static PeftModel attach(LlamaModel model, PrefixTuningConfig config, PrefixTuning prefix) {
        model.freeze();
        model.setPromptAdapter(prefix);
        PeftModel peft = new PeftModel(model, PeftType.PREFIX_TUNING);
        peft.register(Lora.DEFAULT_ADAPTER, config);
        return peft;
    }

    private static NDArray gaussian(NDManager m, Random random, int rows, int cols, LlamaModel model) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return m.create(v, new Shape(rows, cols)).toType(model.dtype(), false);
    }

    /** torch.nn.Linear's default init: weight and bias U(-1/sqrt(in), 1/sqrt(in)). */
    private static Dense torchLinear(NDManager m, Random random, int outFeatures, int inFeatures, LlamaModel model) {
        double bound = 1 / Math.sqrt(inFeatures);
        float[] w = new float[outFeatures * inFeatures];
        float[] b = new float[outFeatures];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        return new Dense(m.create(w, new Shape(outFeatures, inFeatures)).toType(model.dtype(), false),
                m.create(b).toType(model.dtype(), false));
    }

    /** (P, layers * 2 * kv_dim): every layer's keys and values, computed in {@code m}. */
    public NDArray table(NDManager m) {
        NDArray rows = embedding.forward(m.arange(0, length()).toType(DataType.INT64, false));
        if (up == null) {
            return rows;
        }
        return out.forward(up.forward(rows).tanh());
    }

    @Override
    public int length() {
        return (int) embedding.weight().data().getShape().get(0);
    }

    @Override
    public boolean prependsEmbeddings() {
        return false;
    }

    @Override
    public NDArray[][] keyValuePrefixes(NDManager m, long batch) {
        int p = length();
        // (P, layers*2, kv_heads, head_dim) -> (layers*2, kv_heads, P, head_dim)
        NDArray all = table(m).reshape(p, 2L * layers, kvHeads, headDim).transpose(1, 2, 0, 3);
        NDArray[][] out = new NDArray[layers][];
        Shape perLayer = new Shape(batch, kvHeads, p, headDim);
        for (int l = 0; l < layers; l++) {
            out[l] = new NDArray[] {
                all.get(2L * l).expandDims(0).broadcast(perLayer),
                all.get(2L * l + 1).expandDims(0).broadcast(perLayer),
            };
        }
        return out;
    }
}
