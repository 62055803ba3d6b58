package dev.tunelab.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.Dense;
import dev.tunelab.model.Linear;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.model.PromptAdapter;
import dev.tunelab.model.Rotary;
import dev.tunelab.peft.Ia3Linear;
import dev.tunelab.peft.LoraLinear;
import dev.tunelab.peft.QuantizedLinear;
import java.util.Map;

/**
 * A float32 copy of a model's weights for {@link JavaDecoder}, read from the model when a
 * generate call starts (training changes them between calls). Adapters are folded into the copy:
 * LoRA as W + scaling B A, IA3 as its vector times the rows or columns of W, QLoRA's codes
 * dequantized; the model's own weights are left as they are. Prompt tuning's virtual token
 * embeddings and prefix tuning's keys and values are read as they are.
 *
 * <p>q, k and v are stacked into one matrix, and gate and up into another, so each takes one pass.
 */
final class DecoderWeights {
    /** One decoder layer. */
    record Layer(
            float[] inputNorm, // (hidden)
            PackedMatrix qkv, // (heads * head_dim + 2 * kv_heads * head_dim, hidden): q, then k, then v
            PackedMatrix o, // (hidden, heads * head_dim)
            float[] postAttentionNorm, // (hidden)
            PackedMatrix gateUp, // (2 * intermediate, hidden): gate, then up
            PackedMatrix down) {} // (hidden, intermediate)

    final LlamaConfig config;
    final Layer[] layers;
    final float[] finalNorm; // (hidden)
    final float[] embedding; // (vocab, hidden), rows looked up by token id
    final PackedMatrix lmHead; // (vocab, hidden)
    final int virtualTokens; // P positions in front of the real ones (prompt or prefix tuning), else 0
    final float[] promptEmbeddings; // (P, hidden) prompt tuning's virtual tokens, or null
    final float[][] prefixKeys; // per layer (kv_heads, P, head_dim): prefix tuning, or null
    final float[][] prefixValues; // per layer (kv_heads, P, head_dim), or null

    /** A linear layer as one weight (out, in) and bias (out, or null). */
    private record Flat(float[] weight, float[] bias, int out, int in) {}

    private DecoderWeights(LlamaModel model, NDManager scratch) {
        this.config = model.config();
        Map<String, Parameter> params = model.namedParameters();
        layers = new Layer[config.numHiddenLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            layers[i] = new Layer(
                    floats(params.get(p + "input_layernorm.weight").data()),
                    stacked(linear(model, p + "self_attn.q_proj", scratch), linear(model, p + "self_attn.k_proj", scratch),
                            linear(model, p + "self_attn.v_proj", scratch)),
                    packed(linear(model, p + "self_attn.o_proj", scratch)),
                    floats(params.get(p + "post_attention_layernorm.weight").data()),
                    stacked(linear(model, p + "mlp.gate_proj", scratch), linear(model, p + "mlp.up_proj", scratch)),
                    packed(linear(model, p + "mlp.down_proj", scratch)));
        }
        finalNorm = floats(params.get("model.norm.weight").data());
        embedding = floats(model.embedTokens().weight().data());
        lmHead = config.tieWordEmbeddings()
                ? new PackedMatrix(embedding, null, config.vocabSize(), config.hiddenSize())
                : packed(linear(model, "lm_head", scratch));

        PromptAdapter adapter = model.promptAdapter();
        virtualTokens = adapter == null ? 0 : adapter.length();
        if (adapter != null && adapter.prependsEmbeddings()) {
            promptEmbeddings = floats(adapter.inputEmbeddings(scratch, 1)); // (1, P, hidden)
            prefixKeys = null;
            prefixValues = null;
        } else if (adapter != null) {
            NDArray[][] kv = adapter.keyValuePrefixes(scratch, 1); // per layer {(1, kv_heads, P, head_dim) x 2}
            promptEmbeddings = null;
            prefixKeys = new float[layers.length][];
            prefixValues = new float[layers.length][];
            for (int l = 0; l < layers.length; l++) {
                prefixKeys[l] = floats(kv[l][0]);
                prefixValues[l] = floats(kv[l][1]);
            }
        } else {
            promptEmbeddings = null;
            prefixKeys = null;
            prefixValues = null;
        }
    }

    /** Reads the weights; the caller has checked {@link JavaDecoding#unsupportedReason} first. */
    static DecoderWeights read(LlamaModel model) {
        return Autograd.noGrad(() -> {
            try (NDManager scratch = model.manager().newSubManager()) {
                return new DecoderWeights(model, scratch);
            }
        });
    }

    /** theta^(-2i/d) per rotary pair, llama3 scaling included: the model's own table. */
    double[] inverseFrequencies() {
        return Rotary.inverseFrequencies(config);
    }

    private static Flat linear(LlamaModel model, String path, NDManager scratch) {
        return flatten((Linear) model.module(path), scratch);
    }

    /** The weight and bias a layer computes with, adapters folded in (as their forward passes define them). */
    private static Flat flatten(Linear linear, NDManager scratch) {
        int out = (int) linear.outFeatures();
        int in = (int) linear.inFeatures();
        if (linear instanceof Dense d) {
            return new Flat(floats(d.weight().data()), d.bias() == null ? null : floats(d.bias().data()), out, in);
        }
        if (linear instanceof QuantizedLinear q) {
            Parameter bias = q.ownParameters().get("bias");
            return new Flat(floats(q.dequantizedWeight(scratch)), bias == null ? null : floats(bias.data()), out, in);
        }
        if (linear instanceof LoraLinear lora) {
            Flat base = flatten(lora.base(), scratch);
            String active = lora.activeAdapter();
            // LoraLinear.forward adds the active adapter unless disabled or already merged into the base
            if (lora.enabled() && active != null && lora.adapters().contains(active) && !lora.isMerged()) {
                float[] w = base.weight();
                try (NDArray delta = lora.delta(active)) { // scaling * B A, (out, in)
                    float[] d = floats(delta);
                    for (int k = 0; k < w.length; k++) {
                        w[k] += d[k];
                    }
                }
            }
            return base;
        }
        if (linear instanceof Ia3Linear ia3) {
            Flat base = flatten(ia3.base(), scratch);
            float[] l = floats(ia3.scale().data());
            float[] w = base.weight();
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    // feed-forward: base(x * l) scales W's columns; otherwise base(x) * l scales its rows (and the bias)
                    w[o * in + i] *= ia3.feedforward() ? l[i] : l[o];
                }
            }
            if (!ia3.feedforward() && base.bias() != null) {
                for (int o = 0; o < out; o++) {
                    base.bias()[o] *= l[o];
                }
            }
            return base;
        }
        throw new IllegalStateException("the Java decoder does not know " + linear.getClass().getSimpleName());
    }

    private static PackedMatrix packed(Flat f) {
        return new PackedMatrix(f.weight(), f.bias(), f.out(), f.in());
    }

    /** Several layers on the same input as one: their weights one under the other, biases likewise (0 where absent). */
    private static PackedMatrix stacked(Flat... parts) {
        int in = parts[0].in();
        int out = 0;
        boolean anyBias = false;
        for (Flat f : parts) {
            out += f.out();
            anyBias |= f.bias() != null;
        }
        float[] weight = new float[out * in];
        float[] bias = anyBias ? new float[out] : null;
        int row = 0;
        for (Flat f : parts) {
            System.arraycopy(f.weight(), 0, weight, row * in, f.out() * in);
            if (f.bias() != null) {
                System.arraycopy(f.bias(), 0, bias, row, f.out());
            }
            row += f.out();
        }
        return new PackedMatrix(weight, bias, out, in);
    }

    private static float[] floats(NDArray a) {
        if (a.getDataType() == DataType.FLOAT32) {
            return a.toFloatArray();
        }
        try (NDArray f = a.toType(DataType.FLOAT32, true)) {
            return f.toFloatArray();
        }
    }
}
