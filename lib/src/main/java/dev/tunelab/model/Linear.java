package dev.tunelab.model;

import ai.djl.ndarray.NDArray;

/**
 * A linear map {@code y = x W^T + b} on the last axis. Attention and MLP hold their projections
 * as {@code Linear}, so adapters (LoRA) and quantized storage (QLoRA) can take their place.
 */
public abstract class Linear extends Module {
    public abstract NDArray forward(NDArray x);

    public abstract long inFeatures();

    public abstract long outFeatures();
}
