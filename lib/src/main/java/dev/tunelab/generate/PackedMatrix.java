package dev.tunelab.generate;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A weight matrix W (out, in) with an optional bias, laid out for {@code y = x W^T + b} with the
 * Vector API. The outputs are cut into panels of {@link #PANEL} (four vectors); a panel is stored
 * as (in, PANEL), so one row of x walks through contiguous memory, each input broadcast against
 * the panel's weights (the packing of GEMM libraries, Goto and van de Geijn 2008).
 *
 * <p>Every output is one chain of fused multiply-adds over the inputs in order (i = 0, 1, ...),
 * and the bias is added last. There is no horizontal sum, so an output does not depend on the
 * vector width, the number of threads, the other rows in the batch or the JIT tier: batched and
 * single-row decoding give bit-identical logits.
 */
final class PackedMatrix {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    static final int PANEL = 4 * LANES;
    /** Rows of x per unit of work: a panel stays in the cache while they pass. */
    private static final int TILE_ROWS = 16;
    /** Below this many multiply-adds a product runs on the calling thread: waking workers costs more. */
    private static final long PARALLEL_WORK = 1 << 20;

    final int out;
    final int in;
    private final int panels;
    private final float[] packed; // (panels, in, PANEL), zero-padded past `out`
    private final float[] bias; // (out) or null

    /**
     * @param packed the weight W (out, in) as (panels, in, PANEL): W's rows padded with zeros to a
     *     whole number of panels, each panel transposed ({@link DecoderWeights} lays it out)
     * @param bias (out) or null
     */
    PackedMatrix(float[] packed, float[] bias, int out, int in) {
        this.out = out;
        this.in = in;
        this.panels = panels(out);
        if (packed.length != (long) panels * in * PANEL || (bias != null && bias.length != out)) {
            throw new IllegalArgumentException(packed.length + " packed values are not " + out + " x " + in
                    + " in panels of " + PANEL);
        }
        this.packed = packed;
        this.bias = bias;
    }

    /** Panels that hold {@code out} outputs. */
    static int panels(int out) {
        return (out + PANEL - 1) / PANEL;
    }

    /**
     * y (rows, out) = x (rows, in) W^T + b; both row-major and dense. The work is cut into tiles of
     * one panel by up to {@link #TILE_ROWS} rows, panel by panel, and threads take contiguous runs
     * of tiles, so a few panels still spread evenly over the threads when there are many rows.
     */
    void multiply(float[] x, int rows, float[] y, Workers workers) {
        long work = (long) rows * out * in;
        int rowTiles = (rows + TILE_ROWS - 1) / TILE_ROWS;
        workers.forRange(panels * rowTiles, work >= PARALLEL_WORK, (from, to) -> {
            float[] partial = new float[PANEL]; // the last panel sticks out past `out`: written here, then copied
            for (int t = from; t < to; t++) {
                int firstRow = (t % rowTiles) * TILE_ROWS;
                tile(x, y, t / rowTiles, firstRow, Math.min(firstRow + TILE_ROWS, rows), partial);
            }
        });
    }

    /** Rows [from, to) of y against panel p. */
    private void tile(float[] x, float[] y, int p, int from, int to, float[] partial) {
        int w = p * in * PANEL;
        int col = p * PANEL;
        boolean full = col + PANEL <= out;
        int r = from;
        if (full) {
            for (; r + 4 <= to; r += 4) {
                fourRows(x, r * in, y, r * out + col, w);
            }
        }
        for (; r < to; r++) {
            if (full) {
                oneRow(x, r * in, y, r * out + col, w);
            } else {
                oneRow(x, r * in, partial, 0, w);
                System.arraycopy(partial, 0, y, r * out + col, out - col);
            }
        }
        if (bias != null) {
            int width = Math.min(PANEL, out - col);
            for (r = from; r < to; r++) {
                for (int j = 0; j < width; j++) {
                    y[r * out + col + j] += bias[col + j];
                }
            }
        }
    }

    /** One row of x against one panel: 4 vectors of outputs. */
    private void oneRow(float[] x, int xAt, float[] y, int yAt, int w) {
        fourVectorChains(packed, w, PANEL, x, xAt, in, y, yAt);
    }

    /**
     * out[outAt + j] = sum_i a[aAt + i] m[at + i stride + j] for j in four vectors: one chain of
     * fused multiply-adds over i per output, four independent chains so the FMA units stay busy.
     * The kernel of a one-row matrix product (m a panel) and of attention's scores (m the keys).
     * Kept small so the JIT keeps the accumulators in registers.
     */
    static void fourVectorChains(float[] m, int at, int stride, float[] a, int aAt, int n, float[] out, int outAt) {
        FloatVector c0 = FloatVector.zero(SPECIES);
        FloatVector c1 = FloatVector.zero(SPECIES);
        FloatVector c2 = FloatVector.zero(SPECIES);
        FloatVector c3 = FloatVector.zero(SPECIES);
        for (int i = 0; i < n; i++, at += stride) {
            FloatVector ai = FloatVector.broadcast(SPECIES, a[aAt + i]);
            c0 = FloatVector.fromArray(SPECIES, m, at).fma(ai, c0);
            c1 = FloatVector.fromArray(SPECIES, m, at + LANES).fma(ai, c1);
            c2 = FloatVector.fromArray(SPECIES, m, at + 2 * LANES).fma(ai, c2);
            c3 = FloatVector.fromArray(SPECIES, m, at + 3 * LANES).fma(ai, c3);
        }
        store(c0, c1, c2, c3, out, outAt);
    }

    /** Four rows of x against one panel: 16 accumulators, each panel vector loaded once for four rows. */
    private void fourRows(float[] x, int xAt, float[] y, int yAt, int w) {
        int x1 = xAt + in;
        int x2 = x1 + in;
        int x3 = x2 + in;
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int i = 0; i < in; i++, w += PANEL) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, packed, w);
            FloatVector b1 = FloatVector.fromArray(SPECIES, packed, w + LANES);
            FloatVector b2 = FloatVector.fromArray(SPECIES, packed, w + 2 * LANES);
            FloatVector b3 = FloatVector.fromArray(SPECIES, packed, w + 3 * LANES);
            FloatVector a = FloatVector.broadcast(SPECIES, x[xAt + i]);
            c00 = b0.fma(a, c00);
            c01 = b1.fma(a, c01);
            c02 = b2.fma(a, c02);
            c03 = b3.fma(a, c03);
            a = FloatVector.broadcast(SPECIES, x[x1 + i]);
            c10 = b0.fma(a, c10);
            c11 = b1.fma(a, c11);
            c12 = b2.fma(a, c12);
            c13 = b3.fma(a, c13);
            a = FloatVector.broadcast(SPECIES, x[x2 + i]);
            c20 = b0.fma(a, c20);
            c21 = b1.fma(a, c21);
            c22 = b2.fma(a, c22);
            c23 = b3.fma(a, c23);
            a = FloatVector.broadcast(SPECIES, x[x3 + i]);
            c30 = b0.fma(a, c30);
            c31 = b1.fma(a, c31);
            c32 = b2.fma(a, c32);
            c33 = b3.fma(a, c33);
        }
        int stride = out;
        store(c00, c01, c02, c03, y, yAt);
        store(c10, c11, c12, c13, y, yAt + stride);
        store(c20, c21, c22, c23, y, yAt + 2 * stride);
        store(c30, c31, c32, c33, y, yAt + 3 * stride);
    }

    private static void store(FloatVector c0, FloatVector c1, FloatVector c2, FloatVector c3, float[] y, int at) {
        c0.intoArray(y, at);
        c1.intoArray(y, at + LANES);
        c2.intoArray(y, at + 2 * LANES);
        c3.intoArray(y, at + 3 * LANES);
    }

    /** Floats held (the padding of the last panel included). */
    long floats() {
        return packed.length + (bias == null ? 0 : bias.length);
    }
}
