package dev.tunelab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;

/** Token embedding table: row i is the vector of token id i. */
public final class Embedding extends Module {
    private final Parameter weight; // (vocab_size, hidden_size)
    private final DataType computeType;

    public Embedding(NDArray weight) {
        this(weight, weight.getDataType());
    }

    /** A table stored in its own dtype (fp16 for a frozen one) whose rows come out in {@code computeType}. */
    public Embedding(NDArray weight, DataType computeType) {
        this.weight = addParameter("weight", weight);
        this.computeType = computeType;
    }

    public Parameter weight() {
        return weight;
    }

    /** ids (B, T) int64 -> vectors (B, T, hidden) in the compute dtype. */
    public NDArray forward(NDArray ids) {
        NDArray rows = ai.djl.nn.core.Embedding.embedding(ids, weight.data(), SparseFormat.DENSE).head();
        if (rows.getDataType() == computeType) {
            return rows;
        }
        NDArray wide = rows.toType(computeType, false);
        rows.close();
        return wide;
    }
}
