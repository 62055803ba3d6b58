package dev.tunelab.model;

import ai.djl.ndarray.NDArray;

/**
 * The plain linear layer: a weight (out, in) and an optional bias (out). A frozen weight may be
 * stored in fp16 to halve its memory; it is then widened to the input's dtype inside forward
 * (PyTorch's CPU fp16 matrix product is about 3x slower than fp32 on the machines measured).
 */
public final class Dense extends Linear {
    private final Parameter weight; // (out_features, in_features)
    private final Parameter bias; // (out_features) or null

    public Dense(NDArray weight, NDArray bias) {
        this.weight = addParameter("weight", weight);
        this.bias = bias == null ? null : addParameter("bias", bias);
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    @Override
    public NDArray forward(NDArray x) {
        return ai.djl.nn.core.Linear.linear(x, Autograd.like(weight.data(), x), bias == null ? null : bias.data()).head();
    }

    @Override
    public long inFeatures() {
        return weight.data().getShape().get(1);
    }

    @Override
    public long outFeatures() {
        return weight.data().getShape().get(0);
    }
}
