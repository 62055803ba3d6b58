package dev.tunelab.model;

import ai.djl.ndarray.NDArray;

/** Root-mean-square layer norm (Zhang & Sennrich 2019): x / sqrt(mean(x^2) + eps) * weight. */
public final class RMSNorm extends Module {
    private final Parameter weight; // (hidden_size)
    private final float eps;

    public RMSNorm(NDArray weight, double eps) {
        this.weight = addParameter("weight", weight);
        this.eps = (float) eps;
    }

    public NDArray forward(NDArray x) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        NDArray rms = meanSquare.add(Autograd.scalar(meanSquare, eps)).sqrt();
        return x.div(rms).mul(weight.data());
    }
}
