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
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
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

    /**
     * A linear layer as one float32 weight (out, in) and bias (out, or null): the model's own
     * arrays where nothing is folded in (read, never written), else new arrays of the scratch manager.
     */
    private record Flat(NDArray weight, NDArray bias) {}

    private DecoderWeights(LlamaModel model, NDManager scratch) {
        this.config = model.config();
        Map<String, Parameter> params = model.namedParameters();
        layers = new Layer[config.numHiddenLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            layers[i] = new Layer(
                    floats(params.get(p + "input_layernorm.weight").data(), scratch),
                    stacked(linear(model, p + "self_attn.q_proj", scratch), linear(model, p + "self_attn.k_proj", scratch),
                            linear(model, p + "self_attn.v_proj", scratch)),
                    stacked(linear(model, p + "self_attn.o_proj", scratch)),
                    floats(params.get(p + "post_attention_layernorm.weight").data(), scratch),
                    stacked(linear(model, p + "mlp.gate_proj", scratch), linear(model, p + "mlp.up_proj", scratch)),
                    stacked(linear(model, p + "mlp.down_proj", scratch)));
        }
        finalNorm = floats(params.get("model.norm.weight").data(), scratch);
        NDArray table = float32(model.embedTokens().weight().data(), scratch);
        embedding = table.toFloatArray();
        lmHead = stacked(config.tieWordEmbeddings() ? new Flat(table, null) : linear(model, "lm_head", scratch));

        PromptAdapter adapter = model.promptAdapter();
        virtualTokens = adapter == null ? 0 : adapter.length();
        if (adapter != null && adapter.prependsEmbeddings()) {
            promptEmbeddings = floats(adapter.inputEmbeddings(scratch, 1), scratch); // (1, P, hidden)
            prefixKeys = null;
            prefixValues = null;
        } else if (adapter != null) {
            NDArray[][] kv = adapter.keyValuePrefixes(scratch, 1); // per layer {(1, kv_heads, P, head_dim) x 2}
            promptEmbeddings = null;
            prefixKeys = new float[layers.length][];
            prefixValues = new float[layers.length][];
            for (int l = 0; l < layers.length; l++) {
                prefixKeys[l] = floats(kv[l][0], scratch);
                prefixValues[l] = floats(kv[l][1], scratch);
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
            return new Flat(float32(d.weight().data(), scratch), d.bias() == null ? null : float32(d.bias().data(), scratch));
        }
        if (linear instanceof QuantizedLinear q) {
            Parameter bias = q.ownParameters().get("bias");
            return new Flat(float32(q.dequantizedWeight(scratch), scratch), bias == null ? null : float32(bias.data(), scratch));
        }
        // Below, the scratch array comes first in each operation, so that its result belongs to scratch too.
        if (linear instanceof LoraLinear lora) {
            Flat base = flatten(lora.base(), scratch);
            String active = lora.activeAdapter();
            // LoraLinear.forward adds the active adapter unless disabled or already merged into the base
            if (!lora.enabled() || active == null || !lora.adapters().contains(active) || lora.isMerged()) {
                return base;
            }
            // W + scaling * B A (out, in), rescaled per row for DoRA; it belongs to scratch as base.weight() does
            return new Flat(lora.mergedWeight(base.weight(), active), base.bias());
        }
        if (linear instanceof Ia3Linear ia3) {
            Flat base = flatten(ia3.base(), scratch);
            NDArray l = float32(ia3.scale().data(), scratch).duplicate();
            l.attach(scratch);
            if (ia3.feedforward()) { // base(x * l): l scales W's columns
                return new Flat(l.reshape(1, -1).mul(base.weight()), base.bias());
            }
            // base(x) * l: l scales W's rows and the bias
            return new Flat(l.reshape(-1, 1).mul(base.weight()), base.bias() == null ? null : l.mul(base.bias()));
        }
        throw new IllegalStateException("the Java decoder does not know " + linear.getClass().getSimpleName());
    }

    /** A float32 weight (out, in) and bias (out, or null) as a PackedMatrix. */
    static PackedMatrix packed(NDArray weight, NDArray bias) {
        return stacked(new Flat(weight, bias));
    }

    /**
     * Layers on the same input as one PackedMatrix: their weights one under the other, biases
     * likewise (0 where a layer has none). Each weight is read in place, a row at a time, and
     * scattered into the panels: row o, input i goes to (o / PANEL, i, o % PANEL).
     */
    private static PackedMatrix stacked(Flat... parts) {
        int in = (int) parts[0].weight().getShape().get(1);
        int out = 0;
        boolean anyBias = false;
        for (Flat f : parts) {
            out += (int) f.weight().getShape().get(0);
            anyBias |= f.bias() != null;
        }
        int panel = PackedMatrix.PANEL;
        float[] packed = new float[PackedMatrix.panels(out) * in * panel];
        float[] bias = anyBias ? new float[out] : null;
        float[] row = new float[in];
        int o = 0;
        for (Flat f : parts) {
            int rows = (int) f.weight().getShape().get(0);
            FloatBuffer w = f.weight().toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer(); // no copy
            if (f.bias() != null) {
                System.arraycopy(f.bias().toFloatArray(), 0, bias, o, rows);
            }
            for (int r = 0; r < rows; r++, o++) {
                w.get(r * in, row);
                int at = (o / panel) * in * panel + o % panel;
                for (int i = 0; i < in; i++) {
                    packed[at + i * panel] = row[i];
                }
            }
        }
        return new PackedMatrix(packed, bias, out, in);
    }

    /** The array in float32: itself if it is, else a converted copy in the scratch manager. */
    private static NDArray float32(NDArray a, NDManager scratch) {
        if (a.getDataType() == DataType.FLOAT32) {
            return a;
        }
        NDArray c = a.toType(DataType.FLOAT32, true);
        c.attach(scratch);
        return c;
    }

    private static float[] floats(NDArray a, NDManager scratch) {
        return float32(a, scratch).toFloatArray();
    }
}
