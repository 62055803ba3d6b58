package dev.tunelab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * A weight tensor owned by a {@link Module}. Its name comes from where it sits in the module
 * tree ({@code model.layers.0.self_attn.q_proj.weight}), exactly as in Hugging Face checkpoints.
 *
 * <p>Frozen parameters ask PyTorch for no gradient, so none is computed or stored for them.
 */
public final class Parameter {
    private NDArray data;
    private boolean trainable;

    Parameter(NDArray data, boolean trainable) {
        this.data = data;
        setTrainable(trainable);
    }

    public NDArray data() {
        return data;
    }

    /** Replaces the value (same shape), closing the old array; keeps the trainable flag. */
    public void set(NDArray value) {
        if (!value.getShape().equals(data.getShape())) {
            throw new IllegalArgumentException(
                    "shape mismatch: parameter is " + data.getShape() + ", value is " + value.getShape());
        }
        NDArray old = data;
        data = value;
        setTrainable(trainable);
        if (old != value) {
            old.close();
        }
    }

    public boolean trainable() {
        return trainable;
    }

    public void setTrainable(boolean trainable) {
        this.trainable = trainable;
        data.setRequiresGradient(trainable);
    }

    /**
     * The accumulated gradient, or null before any backward pass. DJL hands out a fresh native
     * handle on every call; it is attached to {@code scope} and closed with it, so no caller
     * has to remember to close it.
     */
    public NDArray gradient(ai.djl.ndarray.NDManager scope) {
        if (!data.hasGradient()) {
            return null;
        }
        NDArray g = data.getGradient();
        g.attach(scope);
        return g;
    }

    /** Sets the accumulated gradient to zero (PyTorch accumulates across backward passes). */
    public void zeroGradient() {
        if (trainable) {
            JniUtils.zeroGrad((PtNDArray) data);
        }
    }

    public long size() {
        return data.size();
    }
}
