package dev.tunelab.peft;

/**
 * Block-wise absmax formats: each block of weights is divided by its largest magnitude and every
 * value is stored as the index of the nearest entry of a code book in [-1, 1].
 */
public enum QuantFormat {
    /** Symmetric int8: round(127 x / absmax), the LLM.int8 absmax scheme without outliers. */
    INT8(8, linear(127, 256)),
    /** Symmetric int4: round(7 x / absmax), the baseline NF4 is compared with in the QLoRA paper. */
    INT4(4, linear(7, 16)),
    /** 4-bit NormalFloat, see {@link Nf4}. */
    NF4(4, Nf4.CODE_BOOK);

    private final int bits;
    private final float[] codeBook;

    QuantFormat(int bits, float[] codeBook) {
        this.bits = bits;
        this.codeBook = codeBook;
    }

    public int bits() {
        return bits;
    }

    /** Sorted values in [-1, 1] (int formats have one extra code below -1 that nearest rounding never picks). */
    public float[] codeBook() {
        return codeBook.clone();
    }

    float value(int code) {
        return codeBook[code];
    }

    /** Index of the code book value nearest to {@code x} (the lower one on a tie). */
    int nearest(float x) {
        return nearest(codeBook, x);
    }

    static int nearest(float[] sorted, float x) {
        int lo = 0;
        int hi = sorted.length - 1;
        while (hi - lo > 1) { // invariant: the answer is lo or hi, or x lies outside
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= x) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return Math.abs(x - sorted[lo]) <= Math.abs(sorted[hi] - x) ? lo : hi;
    }

    /** k / scale for k = -count/2 .. count/2 - 1: code = k + count/2. */
    private static float[] linear(int scale, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) (i - count / 2) / scale;
        }
        return v;
    }
}
