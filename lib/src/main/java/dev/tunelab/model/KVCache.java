package dev.tunelab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for the positions seen so far, so that each generation step
 * only runs the newest token through the model. Buffers are allocated once for the whole
 * sequence and filled in place.
 *
 * <p>Sliding-window models (Mistral) keep every position too, and the attention mask hides the
 * keys outside the window (see {@link AttentionMask}). So a cached step computes exactly what a
 * forward pass over the whole sequence computes, left-padded batches and prompt tuning's virtual
 * tokens included; a rolling buffer of the last w positions would only save memory on sequences
 * longer than the window (4,096 tokens for Mistral 7B v0.1), and the buffers here are already
 * sized to the prompt plus the new tokens.
 */
public final class KVCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys; // per layer (B, kv_heads, capacity, head_dim)
    private final NDArray[] values; // per layer (B, kv_heads, capacity, head_dim)
    private final int capacity;
    private int length;

    public KVCache(NDManager parent, LlamaConfig config, int batch, int capacity, DataType dtype) {
        this.manager = parent.newSubManager();
        this.capacity = capacity;
        Shape shape = new Shape(batch, config.numKeyValueHeads(), capacity, config.headDim());
        keys = new NDArray[config.numHiddenLayers()];
        values = new NDArray[config.numHiddenLayers()];
        for (int l = 0; l < keys.length; l++) {
            keys[l] = manager.zeros(shape, dtype);
            values[l] = manager.zeros(shape, dtype);
        }
    }

    /** Positions already cached. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Cached keys of a layer, (B, kv_heads, length, head_dim): a view, valid while the cache is open. */
    public NDArray keys(int layer) {
        return keys[layer].get(new NDIndex(":, :, :{}", length));
    }

    /** Cached values of a layer, (B, kv_heads, length, head_dim): a view, valid while the cache is open. */
    public NDArray values(int layer) {
        return values[layer].get(new NDIndex(":, :, :{}", length));
    }

    /**
     * Stores this step's keys and values (B, kv_heads, T, head_dim) for a layer and returns all
     * cached ones including them. The last layer advances the length.
     */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        int t = (int) k.getShape().get(2);
        if (length + t > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + t + " > capacity " + capacity);
        }
        NDIndex slot = new NDIndex(":, :, {}:{}", length, length + t);
        keys[layer].set(slot, k);
        values[layer].set(slot, v);
        NDIndex upTo = new NDIndex(":, :, :{}", length + t);
        NDArray[] out = {keys[layer].get(upTo), values[layer].get(upTo)};
        for (NDArray a : out) {
            a.attach(k.getManager()); // views for this step only: freed with the step's manager
        }
        if (layer == keys.length - 1) {
            length += t;
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
