package dev.tunelab.align;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.model.Autograd;

/** Numerically safe log-space functions built from differentiable PyTorch ops. */
final class LogSpace {
    private LogSpace() {}

    /** log sigmoid(x) = -softplus(-x); PyTorch's softplus is stable for large |x|. */
    static NDArray logSigmoid(NDArray x) {
        return x.neg().getNDArrayInternal().softPlus().neg();
    }

    /** log(1 - exp(x)) for x < 0 (log of the probability's complement). */
    static NDArray log1mExp(NDArray x) {
        return Autograd.scalar(x, 1).sub(x.exp()).log();
    }

    /** The values of a (B) array in float precision, read for metrics (whatever the model's dtype). */
    static float[] values(NDArray x) {
        return x.toType(DataType.FLOAT32, false).reshape(-1).toFloatArray();
    }

    /** Mean of a (B) array computed in Java (metrics are read, never differentiated). */
    static double mean(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x;
        }
        return v.length == 0 ? Double.NaN : s / v.length;
    }
}
