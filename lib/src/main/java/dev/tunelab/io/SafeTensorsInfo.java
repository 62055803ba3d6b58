package dev.tunelab.io;

import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * One tensor's entry in a safetensors header.
 *
 * @param name the tensor name
 * @param dtype element type as stored
 * @param shape dimensions (empty for a scalar); the accessor returns a copy
 * @param begin start of the data, relative to the data buffer (after the header)
 * @param end end of the data (exclusive), relative to the data buffer
 */
public record SafeTensorsInfo(String name, Dtype dtype, long[] shape, long begin, long end) {

    public SafeTensorsInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The shape as a DJL {@link Shape}. */
    public Shape djlShape() {
        return new Shape(shape);
    }

    /** Number of elements (validated not to overflow when the header was read). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Bytes of data, {@code end - begin}. */
    public long byteSize() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SafeTensorsInfo other
                && name.equals(other.name)
                && dtype == other.dtype
                && Arrays.equals(shape, other.shape)
                && begin == other.begin
                && end == other.end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
}
