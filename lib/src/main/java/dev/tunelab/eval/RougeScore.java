package dev.tunelab.eval;

import java.util.Locale;

/** Precision, recall and F-measure (beta = 1) of one ROUGE variant, each in 0..1. */
public record RougeScore(double precision, double recall, double fmeasure) {

    /** rouge-score's scoring.fmeasure: 0 when precision and recall are both 0. */
    static RougeScore of(double precision, double recall) {
        double f = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
        return new RougeScore(precision, recall, f);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "P=%.4f R=%.4f F=%.4f", precision, recall, fmeasure);
    }
}
