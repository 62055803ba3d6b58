package dev.tunelab.peft;

import java.util.Random;

/**
 * The matrix factorizations behind PiSSA, OLoRA and LoftQ, in double precision on Java arrays
 * (DJL's NDArray has no SVD or QR): a thin SVD by one-sided Jacobi rotations (Hestenes 1958), a
 * thin QR by Householder reflections (as LAPACK's geqrf, so R's diagonal may be negative like
 * torch.linalg.qr's), and the randomized SVD of torch.svd_lowrank (Halko, Martinsson and Tropp
 * 2011, algorithm 4.4). Matrices are row-major {@code double[rows][cols]}.
 *
 * <p>The Jacobi SVD costs O(min(m, n)^2 max(m, n)) per sweep: instant for the tiny models, minutes
 * for a 4096 x 4096 layer; {@link #randomizedSvd} is the choice for large layers.
 */
final class LowRank {
    private LowRank() {}

    /** W = U diag(S) Vt with U (m, k), S (k) descending, Vt (k, n), k = min(m, n). */
    record Svd(double[][] u, double[] s, double[][] vt) {
        /** The rank-r part U_r diag(S_r) Vt_r (m, n). */
        double[][] truncated(int r) {
            int m = u.length;
            int n = vt[0].length;
            double[][] out = new double[m][n];
            for (int k = 0; k < r; k++) {
                for (int i = 0; i < m; i++) {
                    double a = u[i][k] * s[k];
                    for (int j = 0; j < n; j++) {
                        out[i][j] += a * vt[k][j];
                    }
                }
            }
            return out;
        }
    }

    /** W = Q R with Q (m, k) orthonormal columns and R (k, n) upper triangular, k = min(m, n). */
    record Qr(double[][] q, double[][] r) {}

    static Svd svd(double[][] w) {
        int m = w.length;
        int n = w[0].length;
        if (m < n) { // W^T = U' S V'^T, so W = V' S U'^T
            Svd t = svd(transpose(w));
            return new Svd(transpose(t.vt()), t.s(), transpose(t.u()));
        }
        // one-sided Jacobi: rotate column pairs of A = W until they are orthogonal; then A = U S, and the
        // accumulated rotations are V
        double[][] a = transpose(w); // a[j] is column j of W (length m)
        double[][] v = new double[n][n]; // v[j] is column j of V
        for (int j = 0; j < n; j++) {
            v[j][j] = 1;
        }
        for (int sweep = 0; sweep < 60; sweep++) {
            boolean rotated = false;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double alpha = dot(a[p], a[p]);
                    double beta = dot(a[q], a[q]);
                    double gamma = dot(a[p], a[q]);
                    if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma == 0) {
                        continue;
                    }
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    if (zeta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(1 + t * t);
                    double s = c * t;
                    rotate(a[p], a[q], c, s);
                    rotate(v[p], v[q], c, s);
                }
            }
            if (!rotated) {
                break;
            }
        }
        Integer[] order = new Integer[n];
        double[] norms = new double[n];
        for (int j = 0; j < n; j++) {
            order[j] = j;
            norms[j] = Math.sqrt(dot(a[j], a[j]));
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(norms[y], norms[x]));
        double[][] u = new double[m][n];
        double[] s = new double[n];
        double[][] vt = new double[n][];
        for (int k = 0; k < n; k++) {
            int j = order[k];
            s[k] = norms[j];
            for (int i = 0; i < m; i++) {
                u[i][k] = s[k] > 0 ? a[j][i] / s[k] : 0;
            }
            vt[k] = v[j].clone();
        }
        return new Svd(u, s, vt);
    }

    static Qr qr(double[][] w) {
        int m = w.length;
        int n = w[0].length;
        int k = Math.min(m, n);
        double[][] a = new double[m][];
        for (int i = 0; i < m; i++) {
            a[i] = w[i].clone();
        }
        double[][] reflectors = new double[k][];
        for (int j = 0; j < k; j++) {
            double norm = 0;
            for (int i = j; i < m; i++) {
                norm += a[i][j] * a[i][j];
            }
            norm = Math.sqrt(norm);
            double[] v = new double[m - j];
            if (norm == 0) {
                reflectors[j] = v; // nothing to reflect: H = I
                continue;
            }
            // LAPACK dlarfg: the new diagonal is -sign(a_jj) ||x||, so v = x - diag e1 never cancels
            double diag = a[j][j] >= 0 ? -norm : norm;
            for (int i = j; i < m; i++) {
                v[i - j] = a[i][j];
            }
            v[0] -= diag;
            double vv = dot(v, v);
            for (int c = j; c < n; c++) { // A[j:, j:] -= 2 v (v^T A) / (v^T v)
                double proj = 0;
                for (int i = j; i < m; i++) {
                    proj += v[i - j] * a[i][c];
                }
                proj *= 2 / vv;
                for (int i = j; i < m; i++) {
                    a[i][c] -= proj * v[i - j];
                }
            }
            reflectors[j] = v;
        }
        double[][] r = new double[k][n];
        for (int i = 0; i < k; i++) {
            for (int c = i; c < n; c++) {
                r[i][c] = a[i][c];
            }
        }
        // Q = H_0 H_1 ... H_{k-1} applied to the first k columns of the identity, last reflector first
        double[][] q = new double[m][k];
        for (int i = 0; i < k; i++) {
            q[i][i] = 1;
        }
        for (int j = k - 1; j >= 0; j--) {
            double[] v = reflectors[j];
            double vv = dot(v, v);
            if (vv == 0) {
                continue;
            }
            for (int c = 0; c < k; c++) {
                double proj = 0;
                for (int i = j; i < m; i++) {
                    proj += v[i - j] * q[i][c];
                }
                proj *= 2 / vv;
                for (int i = j; i < m; i++) {
                    q[i][c] -= proj * v[i - j];
                }
            }
        }
        return new Qr(q, r);
    }

    /**
     * The top-r SVD by subspace iteration, as torch.svd_lowrank(W, q=r, niter): a Gaussian sketch
     * W Omega, {@code niter} rounds of re-orthonormalized products with W^T and W, then the exact
     * SVD of the small projection Q^T W. Returns U (m, r), S (r), Vt (r, n).
     */
    static Svd randomizedSvd(double[][] w, int r, int niter, long seed) {
        int n = w[0].length;
        Random random = new Random(seed);
        double[][] omega = new double[n][r];
        for (double[] row : omega) {
            for (int j = 0; j < r; j++) {
                row[j] = random.nextGaussian();
            }
        }
        double[][] wt = transpose(w);
        double[][] q = qr(multiply(w, omega)).q(); // (m, r)
        for (int i = 0; i < niter; i++) {
            double[][] z = qr(multiply(wt, q)).q(); // (n, r)
            q = qr(multiply(w, z)).q();
        }
        Svd small = svd(multiply(transpose(q), w)); // (r, n) = U' S Vt
        return new Svd(multiply(q, small.u()), small.s(), small.vt());
    }

    static double[][] multiply(double[][] a, double[][] b) {
        int m = a.length;
        int k = b.length;
        int n = b[0].length;
        double[][] out = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double x = a[i][p];
                if (x == 0) {
                    continue;
                }
                double[] row = b[p];
                double[] o = out[i];
                for (int j = 0; j < n; j++) {
                    o[j] += x * row[j];
                }
            }
        }
        return out;
    }

    static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /** Frobenius norm of a - b. */
    static double distance(double[][] a, double[][] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                double d = a[i][j] - b[i][j];
                sum += d * d;
            }
        }
        return Math.sqrt(sum);
    }

    private static double dot(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }

    /** (x, y) <- (c x - s y, s x + c y). */
    private static void rotate(double[] x, double[] y, double c, double s) {
        for (int i = 0; i < x.length; i++) {
            double xi = x[i];
            double yi = y[i];
            x[i] = c * xi - s * yi;
            y[i] = s * xi + c * yi;
        }
    }
}
