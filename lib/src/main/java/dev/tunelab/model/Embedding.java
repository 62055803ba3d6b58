package dev.tunelab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.SparseFormat;

/** Token embedding table: row i is the vector of token id i. */
public final class Embedding extends Module {
    private final Parameter weight; // (vocab_size, hidden_size)

    public Embedding(NDArray weight) {
        this.weight = addParameter("weight", weight);
    }

    public Parameter weight() {
        return weight;
    }

    /** ids (B, T) int64 -> vectors (B, T, hidden). */
    public NDArray forward(NDArray ids) {
        return ai.djl.nn.core.Embedding.embedding(ids, weight.data(), SparseFormat.DENSE).head();
    }
}
