package dev.tunelab.peft;

import dev.tunelab.model.Dense;
import dev.tunelab.model.Linear;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Module;
import dev.tunelab.model.WeightStorage;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Replaces the decoder's dense linear layers by quantized ones, as QLoRA loads its base model
 * (bitsandbytes' Linear4bit for every linear layer except the LM head; embeddings and norms stay
 * in full precision). Attach LoRA afterwards: {@code Lora.apply(Quantization.quantize(model, NF4, true), cfg)}.
 */
public final class Quantization {
    private Quantization() {}

    /** Quantizes every {@link Dense} under {@code model.} in place and frees its full-precision weight. */
    public static LlamaModel quantize(LlamaModel model, QuantFormat format, boolean doubleQuant) {
        model.freeze();
        for (var e : decoderLinears(model).entrySet()) {
            Dense dense = e.getValue();
            QuantizedLinear q = QuantizedLinear.of(dense, format, doubleQuant, model.manager());
            model.replace(e.getKey(), q);
            dense.weight().data().close();
            if (dense.bias() != null) {
                dense.bias().data().close();
            }
        }
        return model;
    }

    /**
     * A {@link WeightStorage} that quantizes each decoder linear layer as a checkpoint loads (the
     * embedding and LM head in fp16): {@code LlamaModel.load(dir, Quantization.storage(NF4, true))}
     * never holds the model in full precision, unlike loading and then {@link #quantize}.
     */
    public static WeightStorage storage(QuantFormat format, boolean doubleQuant) {
        double bits = 8.0 * BlockQuantized.storageBytes(1L << 20, format, BlockQuantized.BLOCK, doubleQuant) / (1L << 20);
        String name = format.name().toLowerCase(java.util.Locale.ROOT) + (doubleQuant ? "+dq" : "");
        return new WeightStorage(name, DataType.FLOAT16, null, bits, (dense, manager, computeType) -> {
            QuantizedLinear q = QuantizedLinear.of(dense, format, doubleQuant, manager, computeType);
            dense.weight().data().close();
            if (dense.bias() != null) {
                dense.bias().data().close(); // the quantized layer holds its own copy
            }
            return q;
        });
    }

    /** QLoRA's storage: NF4 with double quantization (Dettmers et al. 2023). */
    public static WeightStorage nf4() {
        return storage(QuantFormat.NF4, true);
    }

    /** 8-bit block absmax storage (LLM.int8-style weights without the outlier decomposition). */
    public static WeightStorage int8() {
        return storage(QuantFormat.INT8, false);
    }

    /** The dense linear layers QLoRA quantizes, by path. */
    static Map<String, Dense> decoderLinears(Module model) {
        Map<String, Dense> out = new LinkedHashMap<>();
        model.namedModules().forEach((path, m) -> {
            if (m instanceof Dense d && path.startsWith("model.layers.") && !path.contains(".lora_")) {
                out.put(path, d);
            }
        });
        return out;
    }

    /**
     * Bytes the decoder's linear base weights need in each storage format (computed from their
     * shapes; LoRA's A and B and other adapter weights are not base weights).
     */
    public static WeightMemory memory(LlamaModel model) {
        long[] sizes = model.namedModules().entrySet().stream()
                .filter(e -> e.getKey().startsWith("model.layers.") && !e.getKey().contains(".lora_")
                        && (e.getValue() instanceof Dense || e.getValue() instanceof QuantizedLinear))
                .mapToLong(e -> {
                    Linear l = (Linear) e.getValue();
                    return l.inFeatures() * l.outFeatures();
                }).toArray();
        return WeightMemory.of(sizes);
    }
}
