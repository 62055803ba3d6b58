package dev.tunelab.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * How a model keeps its weights in memory. {@link #FP32} keeps everything trainable in fp32 (full
 * fine-tuning); the other forms keep a frozen base smaller, for adapters to train on top:
 * {@link #FP16} halves every matrix; quantized forms (built by {@code Quantization.storage}, e.g.
 * NF4 for QLoRA) store the decoder's linear layers in 4 or 8 bits and the embedding and LM head in
 * fp16, as bitsandbytes does. Norms and biases stay fp32 in every form, and computation is in the
 * model's dtype (fp32 on the CPU): a stored weight is widened only while a layer uses it.
 *
 * <p>Weights reach their storage one tensor at a time while a checkpoint loads, so a 7B model
 * never exists in fp32 in memory. Training a model whose base is stored smaller recomputes each
 * decoder layer in the backward pass by default ({@code TrainConfig.gradientCheckpointing}), so
 * the widened weights do not pile up for backward either.
 *
 * @param name how the form is reported ("fp32", "fp16", "nf4+dq", ...)
 * @param matrices dtype of the embedding, LM head and (unless quantized) linear weights; null = the model's dtype
 * @param decoderRead dtype a decoder linear weight is read in before {@code decoderLinear} stores it; null = the model's
 *     dtype (so quantization starts from the checkpoint's own values, not from fp16-rounded ones)
 * @param decoderBits bits each decoder linear weight takes in memory, block constants included (for estimates)
 * @param decoderLinear what each decoder linear layer becomes once loaded (identity for fp32/fp16)
 */
public record WeightStorage(String name, DataType matrices, DataType decoderRead, double decoderBits,
        LinearStorage decoderLinear) {

    /** Turns a freshly loaded linear layer into its stored form (e.g. quantizes it), freeing what it no longer needs. */
    @FunctionalInterface
    public interface LinearStorage {
        Linear store(Dense loaded, NDManager manager, DataType computeType);
    }

    /** Everything in the model's dtype, trainable: what full fine-tuning needs. */
    public static final WeightStorage FP32 = new WeightStorage("fp32", null, null, 32, (d, m, t) -> d);

    /** Every matrix in fp16 (norms and biases fp32), frozen: half the memory for LoRA on top. */
    public static final WeightStorage FP16 = new WeightStorage("fp16", DataType.FLOAT16, DataType.FLOAT16, 16, (d, m, t) -> d);

    /** True when the weights are the model's own dtype and may be trained. */
    public boolean full() {
        return matrices == null;
    }

    /** The dtype the embedding and an untied LM head are stored in, for a model computing in {@code computeType}. */
    DataType matrixType(DataType computeType) {
        return matrices == null ? computeType : matrices;
    }

    /** The dtype a decoder linear weight is read in. */
    DataType decoderReadType(DataType computeType) {
        return decoderRead == null ? computeType : decoderRead;
    }

    @Override
    public String toString() {
        return name.toLowerCase(Locale.ROOT);
    }
}
