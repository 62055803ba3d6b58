package dev.tunelab.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.tunelab.io.NativeArrays;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.Dense;
import dev.tunelab.model.Linear;
import dev.tunelab.model.Parameter;
import java.nio.ByteBuffer;

/**
 * A frozen linear layer whose weight is stored block-quantized ({@link BlockQuantized}) and
 * rebuilt in full precision inside every forward pass, as QLoRA's base layers are: the codes
 * are looked up in the code book, scaled by their block's absmax, and multiplied with x. The
 * weight is a constant of the graph, so gradients flow to x (and to LoRA adapters on top) only.
 *
 * <p>Memory: the stored weight takes {@link #storageBytes()}; during a training step PyTorch keeps
 * each layer's rebuilt full-precision weight until the backward pass (bitsandbytes rebuilds it
 * again in backward instead), so a step's peak is higher than the stored size suggests.
 */
public final class QuantizedLinear extends Linear {
    private final QuantFormat format;
    private final int blockSize;
    private final long out;
    private final long in;
    private final NDArray codes; // uint8, packed
    private final NDArray codeTable; // (256, values per byte): byte -> its decoded code book values
    private final NDArray absmax; // (blocks) fp32, or null with double quantization
    private final NDArray absmaxCodes; // uint8 (blocks padded to DQ_BLOCK), or null
    private final NDArray dynamicTable; // (256, 1) the 8-bit dynamic map, or null
    private final NDArray absmax2; // (blocks / DQ_BLOCK) fp32, or null
    private final float absmaxOffset;
    private final int blocks;
    private final Parameter bias; // frozen, or null

    public QuantizedLinear(BlockQuantized q, long out, long in, NDArray bias, NDManager manager, DataType dtype) {
        this(q, uint8(manager, q.codes()), out, in, bias, manager, dtype);
    }

    /** As above with the packed codes already in {@code manager}'s memory ({@code q}'s own codes are not read). */
    private QuantizedLinear(BlockQuantized q, NDArray codes, long out, long in, NDArray bias, NDManager manager, DataType dtype) {
        if (q.size() != out * in) {
            throw new IllegalArgumentException("quantized tensor has " + q.size() + " values, not " + out + " x " + in);
        }
        this.format = q.format();
        this.blockSize = q.blockSize();
        this.out = out;
        this.in = in;
        this.blocks = q.blocks();
        this.codes = codes;
        this.codeTable = manager.create(byteTable(format), new Shape(256, 8 / format.bits())).toType(dtype, false);
        this.absmaxOffset = q.absmaxOffset();
        if (q.doubleQuantized()) {
            this.absmax = null;
            this.absmaxCodes = uint8(manager, q.absmaxCodes());
            this.dynamicTable = manager.create(DynamicMap.SIGNED, new Shape(256, 1)).toType(dtype, false);
            this.absmax2 = manager.create(q.absmax2()).toType(dtype, false);
        } else {
            this.absmax = manager.create(q.absmax()).toType(dtype, false);
            this.absmaxCodes = null;
            this.dynamicTable = null;
            this.absmax2 = null;
        }
        this.bias = bias == null ? null : addParameter("bias", bias);
        if (this.bias != null) {
            this.bias.setTrainable(false);
        }
    }

    /** Quantizes a dense layer's weight (the bias stays in full precision), computing in the weight's dtype. */
    public static QuantizedLinear of(Dense dense, QuantFormat format, boolean doubleQuant, NDManager manager) {
        return of(dense, format, doubleQuant, manager, dense.weight().data().getDataType());
    }

    /** As above, rebuilding the weight in {@code computeType} in forward (fp32 from an fp16-loaded weight). */
    public static QuantizedLinear of(Dense dense, QuantFormat format, boolean doubleQuant, NDManager manager, DataType computeType) {
        NDArray w = dense.weight().data();
        NDArray bias = dense.bias() == null ? null : dense.bias().data().duplicate();
        if (bias != null) {
            bias.attach(manager);
        }
        try (NDArray f = w.getDataType() == DataType.FLOAT32 ? null : w.toType(DataType.FLOAT32, true)) {
            NDArray fp32 = f != null ? f : w;
            if (!inPlace(fp32, manager)) {
                BlockQuantized q = BlockQuantized.quantize(fp32.toFloatArray(), format, BlockQuantized.BLOCK, doubleQuant);
                return new QuantizedLinear(q, dense.outFeatures(), dense.inFeatures(), bias, manager, computeType);
            }
            // On the CPU the weight is read where it is and the codes written straight into their
            // array: Java copies would leave garbage as large as the weight in the heap for every
            // layer (64 MiB + 8 MiB for each of Llama 3.2 1B's MLP matrices), which stays resident.
            NDArray codes = NativeArrays.allocate(manager, new Shape(BlockQuantized.codeBytes(fp32.size(), format,
                    BlockQuantized.BLOCK)), DataType.UINT8);
            float[] absmax = BlockQuantized.encode(NativeArrays.memoryOf(fp32).asFloatBuffer(), format, BlockQuantized.BLOCK,
                    NativeArrays.memoryOf(codes));
            BlockQuantized constants = BlockQuantized.withAbsmax(format, BlockQuantized.BLOCK, fp32.size(), null, absmax,
                    doubleQuant);
            return new QuantizedLinear(constants, codes, dense.outFeatures(), dense.inFeatures(), bias, manager, computeType);
        }
    }

    /** Whether a weight can be quantized from and into native memory directly: CPU arrays a Java buffer can span. */
    private static boolean inPlace(NDArray fp32, NDManager manager) {
        return fp32.getDevice().equals(ai.djl.Device.cpu()) && manager.getDevice().equals(ai.djl.Device.cpu())
                && fp32.size() * 4 <= Integer.MAX_VALUE && fp32.size() > 0;
    }

    /** For a byte b: the code book values of its codes (high nibble first for 4-bit formats). */
    private static float[] byteTable(QuantFormat format) {
        int perByte = 8 / format.bits();
        float[] t = new float[256 * perByte];
        for (int b = 0; b < 256; b++) {
            if (perByte == 2) {
                t[2 * b] = format.value(b >>> 4);
                t[2 * b + 1] = format.value(b & 0x0f);
            } else {
                t[b] = format.value(b);
            }
        }
        return t;
    }

    /** The bytes as a uint8 array in PyTorch's memory (a 7B model's codes would exceed the JVM's direct-memory limit). */
    private static NDArray uint8(NDManager manager, byte[] bytes) {
        if (manager.getDevice().equals(ai.djl.Device.cpu()) && bytes.length > 0) {
            NDArray array = NativeArrays.allocate(manager, new Shape(bytes.length), DataType.UINT8);
            NativeArrays.memoryOf(array).put(bytes);
            return array;
        }
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
        buffer.put(bytes).rewind();
        return NativeArrays.copyOf(manager, buffer, new Shape(bytes.length), DataType.UINT8);
    }

    /**
     * Code book values of byte codes, in {@code m}. The int32 index (half an int64's size; PyTorch's
     * embedding takes either) is freed as soon as the values are gathered: with no gradient through
     * the weight, nothing else needs it, and a 7B layer's index is hundreds of MB.
     */
    private static NDArray lookup(NDArray table, NDArray byteCodes, NDManager m) {
        try (NDArray index = byteCodes.toType(DataType.INT32, true)) {
            NDArray values = ai.djl.nn.core.Embedding.embedding(index, table, SparseFormat.DENSE).head();
            values.attach(m);
            return values;
        }
    }

    /** A new handle on a stored array for this step (closing it leaves the stored array alone). */
    private static NDArray view(NDArray stored, NDManager m, long... shape) {
        NDArray v = stored.reshape(shape);
        v.attach(m);
        return v;
    }

    /** The absmax of each block (blocks, 1), decoding the second quantization if there is one. */
    private NDArray blockAbsmax(NDManager m) {
        if (absmax != null) {
            return view(absmax, m, blocks, 1);
        }
        NDArray centered = lookup(dynamicTable, absmaxCodes, m).reshape(-1, BlockQuantized.DQ_BLOCK)
                .mul(view(absmax2, m, -1, 1)).reshape(-1);
        return centered.get("0:{}", blocks).add(Autograd.scalar(centered, absmaxOffset)).reshape(blocks, 1);
    }

    /**
     * The weight (out, in) in the compute dtype, rebuilt from the codes; it belongs to {@code m}.
     * The lookup's int64 indices and partial products (about three times the weight's fp32 size)
     * are freed before it returns: the weight is a constant of the graph, so autograd needs none.
     */
    public NDArray dequantizedWeight(NDManager m) {
        try (NDManager scratch = m.newSubManager()) {
            NDArray values = lookup(codeTable, codes, scratch).reshape(blocks, blockSize).mul(blockAbsmax(scratch)).reshape(-1);
            if (values.size() != out * in) {
                values = values.get("0:{}", out * in);
            }
            NDArray weight = values.reshape(out, in);
            weight.attach(m);
            return weight;
        }
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray w = dequantizedWeight(x.getManager());
        return ai.djl.nn.core.Linear.linear(x, w, bias == null ? null : bias.data()).head();
    }

    /** A plain dense layer with the dequantized weight (for merging adapters and saving a normal model). */
    static Dense dequantizeToDense(Linear linear, NDManager manager) {
        if (!(linear instanceof QuantizedLinear q)) {
            throw new IllegalArgumentException("not a quantized layer: " + linear.getClass().getSimpleName());
        }
        return Autograd.noGrad(() -> {
            NDArray w;
            try (NDManager scratch = manager.newSubManager()) {
                w = q.dequantizedWeight(scratch).duplicate();
                w.attach(manager);
            }
            NDArray b = q.bias == null ? null : q.bias.data();
            Dense d = new Dense(w, b);
            d.weight().setTrainable(false);
            if (d.bias() != null) {
                d.bias().setTrainable(false);
            }
            return d;
        });
    }

    public QuantFormat format() {
        return format;
    }

    public boolean doubleQuantized() {
        return absmaxCodes != null;
    }

    /**
     * Bytes of the stored weight: codes plus block constants, without the padding of the last
     * block (the bias and the lookup tables are not counted).
     */
    public long storageBytes() {
        long codeBytes = (out * in * format.bits() + 7) / 8;
        long constants = absmax != null ? 4 * absmax.size() : blocks + 4 * absmax2.size() + 4;
        return codeBytes + constants;
    }

    @Override
    public long inFeatures() {
        return in;
    }

    @Override
    public long outFeatures() {
        return out;
    }

    @Override
    public String toString() {
        return "QuantizedLinear(" + format + (doubleQuantized() ? "+DQ" : "") + ", " + out + "x" + in + ")";
    }
}
