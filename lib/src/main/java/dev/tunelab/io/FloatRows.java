package dev.tunelab.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * A matrix (or vector) handed over a few rows at a time, so that a writer converts one piece of
 * a tensor at a time instead of a copy of the whole.
 */
public interface FloatRows {
    /** Number of rows (1 for a vector). */
    long rows();

    /** Values per row. */
    long columns();

    /** Rows {@code first .. first+count-1}, row-major, as fp32. */
    float[] read(long first, int count);

    /** Readers ask for pieces whose first row and length are multiples of this (1 unless a subclass needs whole groups of rows). */
    default int rowGroup() {
        return 1;
    }

    /** A vector held in Java, as one row. */
    static FloatRows of(float[] values) {
        float[] copy = values.clone();
        return new FloatRows() {
            @Override
            public long rows() {
                return 1;
            }

            @Override
            public long columns() {
                return copy.length;
            }

            @Override
            public float[] read(long first, int count) {
                return copy.clone();
            }
        };
    }

    /**
     * The rows of an array of shape (rows, columns), or (columns) as a single row; FLOAT16 arrays
     * are widened exactly.
     */
    static FloatRows of(NDArray array) {
        long[] shape = array.getShape().getShape();
        if (shape.length > 2 || shape.length == 0) {
            throw new IllegalArgumentException("expected a vector or a matrix, got shape " + array.getShape());
        }
        long rows = shape.length == 2 ? shape[0] : 1;
        long columns = shape[shape.length - 1];
        return new FloatRows() {
            @Override
            public long rows() {
                return rows;
            }

            @Override
            public long columns() {
                return columns;
            }

            @Override
            public float[] read(long first, int count) {
                if (shape.length == 1) {
                    return toFloats(array);
                }
                try (NDArray piece = array.get(new NDIndex("{}:{}", first, first + count))) {
                    return toFloats(piece);
                }
            }
        };
    }

    private static float[] toFloats(NDArray a) {
        if (a.getDataType() == DataType.FLOAT32) {
            return a.toFloatArray();
        }
        try (NDArray f = a.toType(DataType.FLOAT32, true)) {
            return f.toFloatArray();
        }
    }
}
