package dev.tunelab.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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

    /** A linear layer as one float32 weight (out, in) and bias (out, or null), both arrays of the scratch manager. */
    private record Flat(NDArray weight, NDArray bias) {}

    private DecoderWeights(LlamaModel model, NDManager scratch) {
        this.config = model.config();
        Map<String, Parameter> params = model.namedParameters();
        layers = new Layer[config.numHiddenLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            layers[i] = new Layer(
                    copy(params.get(p + "input_layernorm.weight").data(), scratch).toFloatArray(),
                    stacked(linear(model, p + "self_attn.q_proj", scratch), linear(model, p + "self_attn.k_proj", scratch),
                            linear(model, p + "self_attn.v_proj", scratch)),
                    packed(linear(model, p + "self_attn.o_proj", scratch)),
                    copy(params.get(p + "post_attention_layernorm.weight").data(), scratch).toFloatArray(),
                    stacked(linear(model, p + "mlp.gate_proj", scratch), linear(model, p + "mlp.up_proj", scratch)),
                    packed(linear(model, p + "mlp.down_proj", scratch)));
        }
        finalNorm = copy(params.get("model.norm.weight").data(), scratch).toFloatArray();
        NDArray table = copy(model.embedTokens().weight().data(), scratch);
        embedding = table.toFloatArray();
        lmHead = packed(config.tieWordEmbeddings() ? new Flat(table, null) : linear(model, "lm_head", scratch));

        PromptAdapter adapter = model.promptAdapter();
        virtualTokens = adapter == null ? 0 : adapter.length();
        if (adapter != null && adapter.prependsEmbeddings()) {
            promptEmbeddings = copy(adapter.inputEmbeddings(scratch, 1), scratch).toFloatArray(); // (1, P, hidden)
            prefixKeys = null;
            prefixValues = null;
        } else if (adapter != null) {
            NDArray[][] kv = adapter.keyValuePrefixes(scratch, 1); // per layer {(1, kv_heads, P, head_dim) x 2}
            promptEmbeddings = null;
            prefixKeys = new float[layers.length][];
            prefixValues = new float[layers.length][];
            for (int l = 0; l < layers.length; l++) {
                prefixKeys[l] = copy(kv[l][0], scratch).toFloatArray();
                prefixValues[l] = copy(kv[l][1], scratch).toFloatArray();
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
        if (linear instanceof Dense d) {
            return new Flat(copy(d.weight().data(), scratch), d.bias() == null ? null : copy(d.bias().data(), scratch));
        }
        if (linear instanceof QuantizedLinear q) {
            Parameter bias = q.ownParameters().get("bias");
            return new Flat(copy(q.dequantizedWeight(scratch), scratch), bias == null ? null : copy(bias.data(), scratch));
        }
        if (linear instanceof LoraLinear lora) {
            Flat base = flatten(lora.base(), scratch);
            String active = lora.activeAdapter();
            // LoraLinear.forward adds the active adapter unless disabled or already merged into the base
            if (!lora.enabled() || active == null || !lora.adapters().contains(active) || lora.isMerged()) {
                return base;
            }
            NDArray delta = lora.delta(active); // scaling * B A (out, in)
            delta.attach(scratch);
            return new Flat(base.weight().add(delta.toType(DataType.FLOAT32, false)), base.bias());
        }
        if (linear instanceof Ia3Linear ia3) {
            Flat base = flatten(ia3.base(), scratch);
            NDArray l = copy(ia3.scale().data(), scratch);
            if (ia3.feedforward()) { // base(x * l): l scales W's columns
                return new Flat(base.weight().mul(l.reshape(1, -1)), base.bias());
            }
            // base(x) * l: l scales W's rows and the bias
            return new Flat(base.weight().mul(l.reshape(-1, 1)), base.bias() == null ? null : base.bias().mul(l));
        }
        throw new IllegalStateException("the Java decoder does not know " + linear.getClass().getSimpleName());
    }

    /**
     * PackedMatrix's layout, made by libtorch (a loop here would run interpreted on a cold JVM):
     * W's rows padded to whole panels, then each panel (PANEL, in) transposed to (in, PANEL).
     */
    private static PackedMatrix packed(Flat f) {
        return packed(f.weight(), f.bias());
    }

    /** A float32 weight (out, in) and bias (out, or null) as a PackedMatrix. */
    static PackedMatrix packed(NDArray weight, NDArray bias) {
        NDArray w = weight;
        int out = (int) w.getShape().get(0);
        int in = (int) w.getShape().get(1);
        int panels = PackedMatrix.panels(out);
        int padding = panels * PackedMatrix.PANEL - out;
        if (padding > 0) {
            w = w.concat(w.getManager().zeros(new Shape(padding, in), DataType.FLOAT32), 0);
        }
        float[] packed = w.reshape(panels, PackedMatrix.PANEL, in).transpose(0, 2, 1).toFloatArray();
        return new PackedMatrix(packed, bias == null ? null : bias.toFloatArray(), out, in);
    }

    /** Several layers on the same input as one: their weights one under the other, biases likewise (0 where absent). */
    private static PackedMatrix stacked(Flat... parts) {
        NDList weights = new NDList();
        NDList biases = new NDList();
        boolean anyBias = false;
        for (Flat f : parts) {
            weights.add(f.weight());
            anyBias |= f.bias() != null;
        }
        for (Flat f : parts) {
            NDManager m = f.weight().getManager();
            biases.add(f.bias() != null ? f.bias() : m.zeros(new Shape(f.weight().getShape().get(0)), DataType.FLOAT32));
        }
        return packed(new Flat(NDArrays.concat(weights, 0), anyBias ? NDArrays.concat(biases, 0) : null));
    }

    /** A float32 copy of a model array, in the scratch manager (so that nothing computed from it lands in the model's). */
    private static NDArray copy(NDArray a, NDManager scratch) {
        NDArray c = a.toType(DataType.FLOAT32, true);
        c.attach(scratch);
        return c;
    }
}
