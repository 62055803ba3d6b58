package dev.tunelab.peft;

import java.util.List;

/**
 * The LoRA initialisations that start from the base weight W (out, in), as PEFT's
 * {@code init_lora_weights} (peft/tuners/lora/layer.py: pissa_init, olora_init, loftq_init). Each
 * returns A (r, in), B (out, r) and what the base keeps, such that base + scaling B A is W again
 * (LoftQ: as close to W as NF4 plus rank r allows), so the adapted model starts as the base model.
 */
final class LoraInit {
    static final String PISSA = "pissa";
    static final String NITER = "_niter_";
    static final String OLORA = "olora";
    static final String LOFTQ = "loftq";
    /** Values PEFT writes that tunelab can start from (the others, e.g. "eva", "corda", are refused). */
    static final List<String> SUPPORTED = List.of(LoraConfig.DEFAULT_INIT, PISSA, PISSA + NITER + "N", OLORA, LOFTQ);

    private LoraInit() {}

    /** Fails unless {@code init} is one of {@link #SUPPORTED}. */
    static void check(String init) {
        if (init.equals(LoraConfig.DEFAULT_INIT) || init.equals(PISSA) || init.equals(OLORA) || init.equals(LOFTQ)) {
            return;
        }
        if (init.startsWith(PISSA + NITER)) {
            try {
                if (Integer.parseInt(init.substring((PISSA + NITER).length())) >= 0) {
                    return;
                }
            } catch (NumberFormatException e) {
                // falls through to the error
            }
        }
        throw new IllegalArgumentException("init_lora_weights '" + init + "' is not supported; expected one of " + SUPPORTED);
    }

    /** Whether the adapter is computed from (and changes) the base weight. */
    static boolean fromBaseWeight(String init) {
        return !init.equals(LoraConfig.DEFAULT_INIT);
    }

    /** A (r, in), B (out, r) and the base weight that stays (out, in). */
    record Factors(double[][] a, double[][] b, double[][] base) {}

    /**
     * PiSSA (Meng et al. 2024): W = U S Vt; B = U_r sqrt(S_r / scaling), A = sqrt(S_r / scaling) Vt_r,
     * so scaling B A is the top-r SVD part and the base keeps the residual W - scaling B A.
     * {@code niter < 0}: the exact SVD; else torch.svd_lowrank's with that many iterations.
     */
    static Factors pissa(double[][] w, int r, double scaling, int niter, long seed) {
        LowRank.Svd svd = niter < 0 ? LowRank.svd(w) : LowRank.randomizedSvd(w, r, niter, seed);
        double[][][] ab = split(svd, r, scaling);
        return new Factors(ab[0], ab[1], minusScaled(w, ab[1], ab[0], scaling));
    }

    /** A = sqrt(S_r / scaling) Vt_r (r, in) and B = U_r sqrt(S_r / scaling) (out, r): scaling B A is the top-r part. */
    private static double[][][] split(LowRank.Svd svd, int r, double scaling) {
        int out = svd.u().length;
        int in = svd.vt()[0].length;
        double[][] a = new double[r][in];
        double[][] b = new double[out][r];
        for (int k = 0; k < r && k < svd.s().length; k++) {
            double root = Math.sqrt(svd.s()[k] / scaling);
            for (int j = 0; j < in; j++) {
                a[k][j] = root * svd.vt()[k][j];
            }
            for (int i = 0; i < out; i++) {
                b[i][k] = svd.u()[i][k] * root;
            }
        }
        return new double[][][] {a, b};
    }

    /**
     * OLoRA (Büyükakyüz 2024): W = Q R; B = Q_r (out, r), A = R_r (r, in), the first r columns and
     * rows; the base keeps W - scaling B A. As PEFT, A and B are not divided by the scaling.
     */
    static Factors olora(double[][] w, int r, double scaling) {
        LowRank.Qr qr = LowRank.qr(w);
        int out = w.length;
        int in = w[0].length;
        double[][] a = new double[r][];
        double[][] b = new double[out][r];
        for (int k = 0; k < r; k++) {
            a[k] = k < qr.r().length ? qr.r()[k].clone() : new double[in];
            for (int i = 0; i < out; i++) {
                b[i][k] = k < qr.q()[0].length ? qr.q()[i][k] : 0;
            }
        }
        return new Factors(a, b, minusScaled(w, b, a, scaling));
    }

    /** LoftQ's result: A, B, the NF4 base, and ||W - (Q + scaling B A)||_F after each iteration. */
    record LoftQ(double[][] a, double[][] b, BlockQuantized base, double[] errors) {}

    /**
     * LoftQ (Li et al. 2023, algorithm 1, as peft/utils/loftq_utils.py loftq_init): starting from
     * L R = 0, repeat {@code iterations} times: Q = NF4(W - L R); L R = the top-r SVD of W - Q.
     * NF4 uses 64-value blocks without double quantization (bitsandbytes' Params4bit with
     * compress_statistics=False, as PEFT calls it). PEFT sets A = R and B = L whatever the scaling;
     * here each is divided by sqrt(scaling) so that the forward's scaling B A is exactly L R.
     */
    static LoftQ loftq(double[][] w, int r, double scaling, int iterations) {
        int out = w.length;
        int in = w[0].length;
        double[][] lr = new double[out][in];
        BlockQuantized q = null;
        double[][] a = null;
        double[][] b = null;
        double[] errors = new double[iterations];
        for (int it = 0; it < iterations; it++) {
            float[] target = new float[out * in];
            for (int i = 0; i < out; i++) {
                for (int j = 0; j < in; j++) {
                    target[i * in + j] = (float) (w[i][j] - lr[i][j]);
                }
            }
            q = BlockQuantized.quantize(target, QuantFormat.NF4, BlockQuantized.BLOCK, false);
            float[] dq = q.dequantize();
            double[][] residual = new double[out][in];
            for (int i = 0; i < out; i++) {
                for (int j = 0; j < in; j++) {
                    residual[i][j] = w[i][j] - dq[i * in + j];
                }
            }
            double[][][] ab = split(LowRank.svd(residual), r, scaling);
            a = ab[0];
            b = ab[1];
            lr = scaled(LowRank.multiply(b, a), scaling);
            double sum = 0;
            for (int i = 0; i < out; i++) {
                for (int j = 0; j < in; j++) {
                    double d = residual[i][j] - lr[i][j];
                    sum += d * d;
                }
            }
            errors[it] = Math.sqrt(sum);
        }
        return new LoftQ(a, b, q, errors);
    }

    /** w - scaling b a. */
    private static double[][] minusScaled(double[][] w, double[][] b, double[][] a, double scaling) {
        double[][] ba = LowRank.multiply(b, a);
        double[][] out = new double[w.length][w[0].length];
        for (int i = 0; i < w.length; i++) {
            for (int j = 0; j < w[0].length; j++) {
                out[i][j] = w[i][j] - scaling * ba[i][j];
            }
        }
        return out;
    }

    private static double[][] scaled(double[][] m, double factor) {
        for (double[] row : m) {
            for (int j = 0; j < row.length; j++) {
                row[j] *= factor;
            }
        }
        return m;
    }
}
