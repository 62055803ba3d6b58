package dev.tunelab.io;

import ai.djl.ndarray.types.DataType;

/**
 * The element types of the safetensors format, spelled as in the file header.
 *
 * <p>The declaration order follows the reference implementation's {@code Dtype} enum: its writer
 * sorts tensors by descending dtype, then by name, and {@link SafeTensorsWriter} does the same.
 * Every type here is accepted when a header is validated; {@link #loadable()} tells which ones
 * become DJL arrays.
 */
public enum Dtype {
    BOOL(1, DataType.BOOLEAN),
    U8(1, DataType.UINT8),
    I8(1, DataType.INT8),
    F8_E5M2(1, null),
    F8_E4M3(1, null),
    F8_E8M0(1, null),
    I16(2, null),
    U16(2, null),
    F16(2, DataType.FLOAT16),
    /** Loads as FLOAT32 (or FLOAT16): DJL's PyTorch engine aborts the JVM on bf16 arrays. */
    BF16(2, DataType.FLOAT32),
    I32(4, DataType.INT32),
    U32(4, null),
    F32(4, DataType.FLOAT32),
    C64(8, null),
    /** Loads as FLOAT32 by default; ask for FLOAT64 explicitly to keep the precision. */
    F64(8, DataType.FLOAT32),
    I64(8, DataType.INT64),
    U64(8, null);

    private final int size;
    private final DataType defaultTarget;

    Dtype(int size, DataType defaultTarget) {
        this.size = size;
        this.defaultTarget = defaultTarget;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** The DJL type {@link SafeTensorsFile#load} gives by default, or null if not loadable. */
    public DataType defaultTarget() {
        return defaultTarget;
    }

    /** Whether tensors of this type can be loaded as DJL arrays. */
    public boolean loadable() {
        return defaultTarget != null;
    }

    /** Whether this is one of the float types tunelab converts: F16, BF16, F32, F64. */
    public boolean isFloat() {
        return this == F16 || this == BF16 || this == F32 || this == F64;
    }

    /** The header spelling for a name, or null if the name is not a known dtype. */
    public static Dtype fromHeader(String name) {
        for (Dtype d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /**
     * The safetensors type that stores a DJL array type without conversion.
     *
     * @throws IllegalArgumentException for types safetensors cannot hold (STRING, COMPLEX64,
     *     UNKNOWN)
     */
    public static Dtype of(DataType type) {
        switch (type) {
            case FLOAT32: return F32;
            case FLOAT16: return F16;
            case BFLOAT16: return BF16;
            case FLOAT64: return F64;
            case INT64: return I64;
            case INT32: return I32;
            case INT16: return I16;
            case INT8: return I8;
            case UINT8: return U8;
            case UINT16: return U16;
            case UINT32: return U32;
            case UINT64: return U64;
            case BOOLEAN: return BOOL;
            default:
                throw new IllegalArgumentException("safetensors cannot store DJL type " + type);
        }
    }
}
