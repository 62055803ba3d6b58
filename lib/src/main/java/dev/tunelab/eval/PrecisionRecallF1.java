package dev.tunelab.eval;

import java.util.Locale;

/** Precision, recall and F1 (each 0..1) and the support: how many true examples the scores cover. */
public record PrecisionRecallF1(double precision, double recall, double f1, long support) {
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "precision %.4f recall %.4f f1 %.4f (support %d)", precision, recall, f1, support);
    }
}
