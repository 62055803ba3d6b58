package dev.tunelab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

/**
 * Rotary position embedding (Su et al. 2021) in Hugging Face's "rotate half" layout: the first
 * and second halves of each head vector form the rotated pairs. Holds cos/sin tables for every
 * position up to max_position_embeddings.
 */
public final class Rotary implements AutoCloseable {
    private final NDArray cos; // (max_positions, head_dim)
    private final NDArray sin; // (max_positions, head_dim)

    public Rotary(NDManager manager, LlamaConfig config, DataType dtype) {
        double[] invFreq = inverseFrequencies(config);
        int half = invFreq.length;
        int dim = 2 * half;
        int positions = config.maxPositionEmbeddings();
        float[] c = new float[positions * dim];
        float[] s = new float[positions * dim];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * invFreq[i];
                c[p * dim + i] = c[p * dim + i + half] = (float) Math.cos(angle);
                s[p * dim + i] = s[p * dim + i + half] = (float) Math.sin(angle);
            }
        }
        Shape shape = new Shape(positions, dim);
        this.cos = manager.create(c, shape).toType(dtype, false);
        this.sin = manager.create(s, shape).toType(dtype, false);
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
    public NDArray[] at(NDArray positionIds) {
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
    public void close() {
        cos.close();
        sin.close();
    }
}
