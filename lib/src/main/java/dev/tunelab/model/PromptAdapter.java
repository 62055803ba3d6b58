package dev.tunelab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Learned positions an adapter puts in front of the real tokens: prompt tuning prepends virtual
 * token embeddings to the input, prefix tuning prepends keys and values to every attention layer.
 * Attached with {@link LlamaModel#setPromptAdapter}; without one the model is unchanged.
 */
public abstract class PromptAdapter extends Module {
    /** Number of virtual positions P. */
    public abstract int length();

    /** Whether the positions enter as input embeddings (prompt tuning) rather than as keys and values. */
    public abstract boolean prependsEmbeddings();

    /** (B, P, hidden) embeddings of the virtual tokens, computed in the step's manager {@code m}. */
    public NDArray inputEmbeddings(NDManager m, long batch) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " adds no input embeddings");
    }

    /** For each layer {keys, values}, each (B, kv_heads, P, head_dim), computed in {@code m}. */
    public NDArray[][] keyValuePrefixes(NDManager m, long batch) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " adds no keys and values");
    }
}
