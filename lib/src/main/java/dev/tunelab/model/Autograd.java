package dev.tunelab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * PyTorch's grad mode is per thread: DJL turns it off only on the thread that started the engine.
 * Optimizer updates and evaluation run inside {@link #noGrad} so that no graph is recorded
 * whichever thread (a notebook cell, a test) runs them.
 */
public final class Autograd {
    private Autograd() {}

    /**
     * A scalar for arithmetic inside the autograd graph, allocated by PyTorch in {@code like}'s
     * manager and dtype. Do not use {@code x.mul(2.0)}-style Number operations there: DJL's
     * PyTorch engine backs the Number with a Java direct buffer and frees it right after the
     * forward op, while autograd keeps the tensor for the backward pass (mul and div read it),
     * so once the garbage collector reclaims the buffer the backward pass reads freed memory:
     * gradients turn to NaN or quietly go wrong.
     */
    public static NDArray scalar(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType());
    }

    /**
     * {@code w} in {@code x}'s dtype: w itself when they agree, else a widened copy that belongs to
     * x's manager (a step's scope), so a frozen fp16 weight costs its fp32 size only while in use.
     */
    public static NDArray like(NDArray w, NDArray x) {
        if (w.getDataType() == x.getDataType()) {
            return w;
        }
        NDArray cast = w.toType(x.getDataType(), false);
        cast.attach(x.getManager());
        return cast;
    }

    public static <T> T noGrad(Supplier<T> body) {
        boolean was = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(was);
        }
    }

    public static void noGrad(Runnable body) {
        noGrad(() -> {
            body.run();
            return null;
        });
    }
}
