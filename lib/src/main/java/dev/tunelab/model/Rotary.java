package dev.tunelab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

/**
 * Rotary position embedding (Su et al. 2021) in Hugging Face's "rotate half" layout: the first
 * and second halves of each head vector form the rotated pairs. Holds cos/sin tables for the
 * positions used so far, grown on demand (doubling) up to max_position_embeddings: Llama 3.2's
 * 131,072 positions would take 64 MiB for tables that training at 512 tokens reads 512 rows of.
 * Every row is computed on its own (float cos/sin of position * inverse frequency), so a table's
 * values do not depend on how far it has grown.
 */
public final class Rotary implements AutoCloseable {
    /** Rows a table starts with: enough for short prompts without regrowing. */
    private static final int INITIAL_POSITIONS = 256;

    private final NDManager manager;
    private final DataType dtype;
    private final double[] invFreq;
    private final int maxPositions;
    private NDArray cos; // (positions, head_dim)
    private NDArray sin; // (positions, head_dim)
    private int positions;

    public Rotary(NDManager manager, LlamaConfig config, DataType dtype) {
        this.manager = manager;
        this.dtype = dtype;
        this.invFreq = inverseFrequencies(config);
        this.maxPositions = config.maxPositionEmbeddings();
        grow(Math.min(INITIAL_POSITIONS, maxPositions));
    }

    /** Replaces the tables by ones of {@code count} rows (positions 0 .. count - 1). */
    private void grow(int count) {
        int half = invFreq.length;
        int dim = 2 * half;
        float[] c = new float[count * dim];
        float[] s = new float[count * dim];
        for (int p = 0; p < count; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * invFreq[i];
                c[p * dim + i] = c[p * dim + i + half] = (float) Math.cos(angle);
                s[p * dim + i] = s[p * dim + i + half] = (float) Math.sin(angle);
            }
        }
        Shape shape = new Shape(count, dim);
        NDArray newCos = table(c, shape);
        NDArray newSin = table(s, shape);
        if (cos != null) {
            cos.close();
            sin.close();
        }
        cos = newCos;
        sin = newSin;
        positions = count;
    }

    private NDArray table(float[] values, Shape shape) {
        NDArray fp32 = manager.create(values, shape);
        if (dtype == DataType.FLOAT32) {
            return fp32;
        }
        try (fp32) {
            return fp32.toType(dtype, false);
        }
    }

    /** Makes the tables cover positions 0 .. {@code maxPosition}. */
    private void cover(long maxPosition) {
        if (maxPosition < positions) {
            return;
        }
        if (maxPosition >= maxPositions) {
            throw new IllegalArgumentException("position " + maxPosition + " is beyond the model's max_position_embeddings ("
                    + maxPositions + ")");
        }
        long doubled = Math.max((long) positions * 2, maxPosition + 1);
        grow((int) Math.min(doubled, maxPositions));
    }

    /** theta^(-2i/d) for i in [0, d/2), with llama3 scaling when configured. */
    public static double[] inverseFrequencies(LlamaConfig config) {
        int dim = config.headDim();
        double[] inv = new double[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / dim);
        }
        LlamaConfig.RopeScaling rs = config.ropeScaling();
        if (rs != null) {
            // transformers' _compute_llama3_parameters: long wavelengths are slowed down by `factor`,
            // short ones kept, and the band between them interpolated smoothly.
            double lowFreqWavelen = rs.originalMaxPositionEmbeddings() / rs.lowFreqFactor();
            double highFreqWavelen = rs.originalMaxPositionEmbeddings() / rs.highFreqFactor();
            for (int i = 0; i < inv.length; i++) {
                double wavelen = 2 * Math.PI / inv[i];
                if (wavelen > lowFreqWavelen) {
                    inv[i] = inv[i] / rs.factor();
                } else if (wavelen >= highFreqWavelen) {
                    double smooth = (rs.originalMaxPositionEmbeddings() / wavelen - rs.lowFreqFactor())
                            / (rs.highFreqFactor() - rs.lowFreqFactor());
                    inv[i] = (1 - smooth) * inv[i] / rs.factor() + smooth * inv[i];
                }
            }
        }
        return inv;
    }

    /** cos and sin for the given positions (B, T): each (B, 1, T, head_dim), ready to broadcast over heads. */
    public synchronized NDArray[] at(NDArray positionIds) {
        if (positionIds.size() > 0) {
            try (NDArray max = positionIds.max(); NDArray wide = max.toType(DataType.INT64, true)) {
                cover(wide.getLong());
            }
        }
        NDArray c = ai.djl.nn.core.Embedding.embedding(positionIds, cos, SparseFormat.DENSE).head().expandDims(1);
        NDArray s = ai.djl.nn.core.Embedding.embedding(positionIds, sin, SparseFormat.DENSE).head().expandDims(1);
        return new NDArray[] {c, s};
    }

    /** x (B, heads, T, head_dim) rotated: x * cos + rotate_half(x) * sin. */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        return x.mul(cos).add(rotateHalf(x).mul(sin));
    }

    /** [x1, x2] -> [-x2, x1] on the last axis. */
    private static NDArray rotateHalf(NDArray x) {
        long half = x.getShape().getShape()[x.getShape().dimension() - 1] / 2;
        NDArray x1 = x.get("..., :" + half);
        NDArray x2 = x.get("..., " + half + ":");
        return x2.neg().concat(x1, -1);
    }

    @Override
    public synchronized void close() {
        cos.close();
        sin.close();
    }
}
