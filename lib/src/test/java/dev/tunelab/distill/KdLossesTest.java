package dev.tunelab.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tunelab.train.Losses;
import org.junit.jupiter.api.Test;

/** The distillation losses against closed forms computed here in double precision. */
class KdLossesTest {
    static final double[] Q = {0.2, 0.3, 0.5};    // student
    static final double[] P = {0.5, 0.25, 0.25};  // teacher

    static double kl(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * Math.log(a[i] / b[i]);
        return s;
    }

    /** softmax(log(p) / T): p^(1/T), normalized. */
    static double[] atTemperature(double[] p, double t) {
        double[] out = new double[p.length];
        double z = 0;
        for (int i = 0; i < p.length; i++) z += out[i] = Math.pow(p[i], 1 / t);
        for (int i = 0; i < p.length; i++) out[i] /= z;
        return out;
    }

    static float[] logs(double[]... rows) {
        float[] out = new float[rows.length * rows[0].length];
        int k = 0;
        for (double[] r : rows) for (double x : r) out[k++] = (float) Math.log(x);
        return out;
    }

    /** (1, positions, 3) logits whose softmax at T = 1 is each row. */
    static NDArray logits(NDManager m, double[]... rows) {
        return m.create(logs(rows), new Shape(1, rows.length, 3));
    }

    @Test
    void forwardAndReverseKlMatchTheClosedFormAtEveryTemperature() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1f}, new Shape(1, 1));
            for (double t : new double[] {1, 2, 0.5}) {
                double[] p = atTemperature(P, t);
                double[] q = atTemperature(Q, t);
                assertEquals(t * t * kl(p, q), KdLosses.forwardKl(logits(m, Q), logits(m, P), w, t).getFloat(), 1e-6, "T=" + t);
                assertEquals(t * t * kl(q, p), KdLosses.reverseKl(logits(m, Q), logits(m, P), w, t).getFloat(), 1e-6, "T=" + t);
            }
            // the hand value at T = 1: 0.5 ln 2.5 + 0.25 ln(0.25/0.3) + 0.25 ln 0.5
            assertEquals(0.239278, KdLosses.forwardKl(logits(m, Q), logits(m, P), w, 1).getFloat(), 1e-6);
        }
    }

    @Test
    void bothAreZeroWhenTeacherEqualsStudent() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.ones(new Shape(1, 2));
            NDArray a = logits(m, Q, P);
            assertEquals(0, KdLosses.forwardKl(a, a.duplicate(), w, 2).getFloat(), 1e-7);
            assertEquals(0, KdLosses.reverseKl(a, a.duplicate(), w, 1).getFloat(), 1e-7);
        }
    }

    @Test
    void theMeanRunsOverWeightedPositionsOnly() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray student = logits(m, Q, Q, P);
            NDArray teacher = logits(m, P, Q, Q);
            NDArray w = m.create(new float[] {1f, 1f, 0f}, new Shape(1, 3));
            // positions: KL(P||Q), 0, and a masked one
            assertEquals(kl(P, Q) / 2, KdLosses.forwardKl(student, teacher, w, 1).getFloat(), 1e-6);
        }
    }

    @Test
    void gradientIsTemperatureTimesStudentMinusTeacherAndMatchesFiniteDifferences() {
        double t = 2;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1f}, new Shape(1, 1));
            NDArray s = logits(m, Q);
            s.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(KdLosses.forwardKl(s, logits(m, P), w, t));
            }
            float[] grad = s.getGradient().toFloatArray();
            double[] p = atTemperature(P, t);
            double[] q = atTemperature(Q, t);
            // d/ds_i of T^2 KL(p^T || softmax(s/T)) = T (q_i - p_i)
            assertArrayEquals(new float[] {(float) (t * (q[0] - p[0])), (float) (t * (q[1] - p[1])), (float) (t * (q[2] - p[2]))},
                    grad, 1e-6f);
            float[] base = logs(Q);
            double h = 1e-2;
            for (int i = 0; i < 3; i++) {
                float[] plus = base.clone();
                float[] minus = base.clone();
                plus[i] += (float) h;
                minus[i] -= (float) h;
                double lp = KdLosses.forwardKl(m.create(plus, new Shape(1, 1, 3)), logits(m, P), w, t).getFloat();
                double lm = KdLosses.forwardKl(m.create(minus, new Shape(1, 1, 3)), logits(m, P), w, t).getFloat();
                assertEquals((lp - lm) / (2 * h), grad[i], 2e-4, "logit " + i);
            }
        }
    }

    @Test
    void reverseKlGradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1f}, new Shape(1, 1));
            NDArray s = logits(m, Q);
            s.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(KdLosses.reverseKl(s, logits(m, P), w, 1));
            }
            float[] grad = s.getGradient().toFloatArray();
            float[] base = logs(Q);
            double h = 1e-2;
            for (int i = 0; i < 3; i++) {
                float[] plus = base.clone();
                float[] minus = base.clone();
                plus[i] += (float) h;
                minus[i] -= (float) h;
                double lp = KdLosses.reverseKl(m.create(plus, new Shape(1, 1, 3)), logits(m, P), w, 1).getFloat();
                double lm = KdLosses.reverseKl(m.create(minus, new Shape(1, 1, 3)), logits(m, P), w, 1).getFloat();
                assertEquals((lp - lm) / (2 * h), grad[i], 2e-4, "logit " + i);
            }
        }
    }

    @Test
    void topKWithEveryTokenIsTheFullForwardKlAndATruncatedTeacherIsRenormalized() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1f}, new Shape(1, 1));
            NDArray all = m.create(new long[] {2, 0, 1}, new Shape(1, 1, 3));
            double[] p = atTemperature(P, 2);
            NDArray lp = m.create(new float[] {(float) Math.log(p[2]), (float) Math.log(p[0]), (float) Math.log(p[1])}, new Shape(1, 1, 3));
            assertEquals(KdLosses.forwardKl(logits(m, Q), logits(m, P), w, 2).getFloat(),
                    KdLosses.forwardKlTopK(logits(m, Q), all, lp, w, 2).getFloat(), 1e-6);
            // top 1: the teacher is certain of token 0, so the loss is -log q(0) (T = 1)
            NDArray one = m.create(new long[] {0}, new Shape(1, 1, 1));
            NDArray zero = m.zeros(new Shape(1, 1, 1));
            assertEquals(-Math.log(Q[0]), KdLosses.forwardKlTopK(logits(m, Q), one, zero, w, 1).getFloat(), 1e-6);
        }
    }

    @Test
    void mixWeighsKdAgainstTheHardLabelLoss() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray student = logits(m, Q, Q);
            NDArray labels = m.create(new long[] {Losses.IGNORE_INDEX, 2}, new Shape(1, 2));
            NDArray hard = Losses.causalLm(student, labels);
            assertEquals(-Math.log(Q[2]), hard.getFloat(), 1e-6, "position 0 predicts label 2");
            NDArray weights = KdLosses.shiftedWeights(labels, DataType.FLOAT32);
            assertArrayEquals(new float[] {1f}, weights.toFloatArray());
            NDArray kd = KdLosses.forwardKl(student.get(":, :-1, :"), logits(m, P), weights, 1);
            assertEquals(0.25 * kl(P, Q) + 0.75 * -Math.log(Q[2]), KdLosses.mix(kd, hard, 0.25).getFloat(), 1e-6);
        }
    }
}
