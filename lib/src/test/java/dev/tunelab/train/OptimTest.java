package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import dev.tunelab.model.Dense;
import dev.tunelab.model.Parameter;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptimTest {
    @Test
    void adamWMatchesTheClosedForm() {
        try (var m = ai.djl.ndarray.NDManager.newBaseManager()) {
            Dense layer = new Dense(m.create(new float[] {0.5f, -1f, 2f, 0.25f}, new ai.djl.ndarray.types.Shape(2, 2)),
                    m.create(new float[] {0.1f, -0.2f}));
            Map<String, Parameter> params = layer.namedParameters();
            double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
            double[] w = {0.5, -1, 2, 0.25};
            double[] bias = {0.1, -0.2};
            double[] mw = new double[4], vw = new double[4], mb = new double[2], vb = new double[2];
            double[] x = {1.5, -0.5};
            try (AdamW opt = new AdamW(params, b1, b2, eps, wd)) {
                for (int t = 1; t <= 3; t++) {
                    // loss = sum(W x + b)^2 / 2 -> dL/dy = y; dW = y x^T; db = y
                    double[] y = {w[0] * x[0] + w[1] * x[1] + bias[0], w[2] * x[0] + w[3] * x[1] + bias[1]};
                    double[] gw = {y[0] * x[0], y[0] * x[1], y[1] * x[0], y[1] * x[1]};
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray out = layer.forward(m.create(new float[] {1.5f, -0.5f}).reshape(1, 2));
                        gc.backward(out.square().sum().div(2));
                    }
                    opt.step(lr);
                    opt.zeroGrad();
                    adam(w, gw, mw, vw, t, lr, b1, b2, eps, wd);
                    adam(bias, y, mb, vb, t, lr, b1, b2, eps, 0); // no decay on biases
                }
            }
            assertArrayEquals(toFloats(w), params.get("weight").data().toFloatArray(), 1e-6f);
            assertArrayEquals(toFloats(bias), params.get("bias").data().toFloatArray(), 1e-6f);
        }
    }

    private static void adam(double[] p, double[] g, double[] m, double[] v, int t, double lr, double b1, double b2,
            double eps, double wd) {
        for (int i = 0; i < p.length; i++) {
            p[i] -= lr * wd * p[i];
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            double mHat = m[i] / (1 - Math.pow(b1, t));
            double vHat = v[i] / (1 - Math.pow(b2, t));
            p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
        }
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Test
    void schedulesFollowWarmupThenDecay() {
        LrSchedule cos = new LrSchedule(LrSchedule.Kind.COSINE, 1.0, 10, 110, 0.1);
        assertEquals(0.1, cos.at(0), 1e-12); // (0 + 1) / 10
        assertEquals(1.0, cos.at(9), 1e-12);
        assertEquals(1.0, cos.at(10), 1e-12);
        assertEquals(0.55, cos.at(60), 1e-12); // halfway: 0.1 + 0.9 * 0.5
        assertEquals(0.1, cos.at(110), 1e-12);
        LrSchedule lin = new LrSchedule(LrSchedule.Kind.LINEAR, 2.0, 0, 100, 0.0);
        assertEquals(1.0, lin.at(50), 1e-12);
        assertEquals(2.0, new LrSchedule(LrSchedule.Kind.CONSTANT, 2.0, 0, 100, 0).at(99), 0);
    }

    @Test
    void clippingScalesToTheGlobalNorm() {
        try (var m = ai.djl.ndarray.NDManager.newBaseManager()) {
            Dense layer = new Dense(m.create(new float[] {1, 2, 3, 4}, new ai.djl.ndarray.types.Shape(2, 2)), null);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                // d/dW of sum(W * c) is c: gradient (3, 4, 0, 0), norm 5
                NDArray c = m.create(new float[] {3, 4, 0, 0}, new ai.djl.ndarray.types.Shape(2, 2));
                gc.backward(layer.weight().data().mul(c).sum());
            }
            double norm = Gradients.clipNorm(layer.namedParameters(), 1.0);
            assertEquals(5.0, norm, 1e-6);
            try (NDArray g = layer.weight().gradient(m)) {
                assertArrayEquals(new float[] {0.6f, 0.8f, 0, 0}, g.toFloatArray(), 1e-6f);
            }
        }
    }
}
