package dev.tunelab.eval;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Accuracy and precision / recall / F1 with scikit-learn's conventions
 * ({@code sklearn.metrics.accuracy_score}, {@code precision_recall_fscore_support}): labels are
 * every value seen in either list; a ratio whose denominator is 0 counts as 0 (sklearn's
 * {@code zero_division="warn"} result); macro averages the per-class scores (F1 too, not the
 * harmonic mean of the averages); micro pools the counts of all classes, so for single-label
 * data micro P = R = F1 = accuracy.
 */
public final class Classification {
    /** How per-class scores are combined, as sklearn's {@code average} argument. */
    public enum Average { BINARY, MACRO, MICRO }

    private Classification() {}

    /** Fraction of positions where prediction equals truth. */
    public static double accuracy(List<?> truth, List<?> predicted) {
        checkSizes(truth, predicted);
        if (truth.isEmpty()) {
            throw new IllegalArgumentException("accuracy of zero examples is undefined");
        }
        int correct = 0;
        for (int i = 0; i < truth.size(); i++) {
            correct += Objects.equals(truth.get(i), predicted.get(i)) ? 1 : 0;
        }
        return (double) correct / truth.size();
    }

    /** Scores of the {@code positive} class of binary data; more than two labels is an error, as in sklearn. */
    public static <T> PrecisionRecallF1 binary(List<T> truth, List<T> predicted, T positive) {
        Set<T> labels = labels(truth, predicted);
        if (labels.size() > 2) {
            throw new IllegalArgumentException("average=binary needs at most 2 labels, found " + labels.size() + ": "
                    + labels + "; use MACRO or MICRO for multiclass data");
        }
        if (labels.size() == 2 && !labels.contains(positive)) {
            throw new IllegalArgumentException("positive label " + positive + " is not one of the labels " + labels);
        }
        return counts(truth, predicted, positive).scores();
    }

    /** Unweighted mean of the per-class precision, recall and F1. */
    public static <T> PrecisionRecallF1 macro(List<T> truth, List<T> predicted) {
        Map<T, PrecisionRecallF1> perClass = perClass(truth, predicted);
        double p = 0;
        double r = 0;
        double f = 0;
        long support = 0;
        for (PrecisionRecallF1 s : perClass.values()) {
            p += s.precision();
            r += s.recall();
            f += s.f1();
            support += s.support();
        }
        int k = perClass.size();
        return new PrecisionRecallF1(p / k, r / k, f / k, support);
    }

    /** Precision, recall and F1 of the counts pooled over all classes. */
    public static <T> PrecisionRecallF1 micro(List<T> truth, List<T> predicted) {
        Counts total = new Counts();
        for (T label : labels(truth, predicted)) {
            Counts c = counts(truth, predicted, label);
            total.truePositives += c.truePositives;
            total.falsePositives += c.falsePositives;
            total.falseNegatives += c.falseNegatives;
        }
        return total.scores();
    }

    public static <T> PrecisionRecallF1 average(List<T> truth, List<T> predicted, Average average, T positive) {
        return switch (average) {
            case BINARY -> binary(truth, predicted, positive);
            case MACRO -> macro(truth, predicted);
            case MICRO -> micro(truth, predicted);
        };
    }

    /** Scores of each label, labels in sorted order when they are comparable, else in order of appearance. */
    public static <T> Map<T, PrecisionRecallF1> perClass(List<T> truth, List<T> predicted) {
        Map<T, PrecisionRecallF1> out = new LinkedHashMap<>();
        for (T label : labels(truth, predicted)) {
            out.put(label, counts(truth, predicted, label).scores());
        }
        return out;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static <T> Set<T> labels(List<T> truth, List<T> predicted) {
        checkSizes(truth, predicted);
        if (truth.isEmpty()) {
            throw new IllegalArgumentException("precision/recall of zero examples is undefined");
        }
        Set<T> seen = new LinkedHashSet<>(truth);
        seen.addAll(predicted);
        if (seen.contains(null)) {
            throw new IllegalArgumentException("labels must not be null (truth or prediction " + firstNull(truth, predicted) + ")");
        }
        if (seen.stream().allMatch(l -> l instanceof Comparable)) {
            List sorted = new ArrayList<>(seen);
            try {
                sorted.sort(null); // sklearn's unique_labels order
                return new LinkedHashSet<>(sorted);
            } catch (ClassCastException mixedTypes) {
                return seen; // labels of different types: keep the order of appearance
            }
        }
        return seen;
    }

    private static String firstNull(List<?> truth, List<?> predicted) {
        for (int i = 0; i < truth.size(); i++) {
            if (truth.get(i) == null || predicted.get(i) == null) {
                return "at index " + i;
            }
        }
        return "";
    }

    private static <T> Counts counts(List<T> truth, List<T> predicted, T label) {
        Counts c = new Counts();
        for (int i = 0; i < truth.size(); i++) {
            boolean isTrue = label.equals(truth.get(i));
            boolean isPredicted = label.equals(predicted.get(i));
            if (isTrue && isPredicted) {
                c.truePositives++;
            } else if (isPredicted) {
                c.falsePositives++;
            } else if (isTrue) {
                c.falseNegatives++;
            }
        }
        return c;
    }

    private static void checkSizes(Collection<?> truth, Collection<?> predicted) {
        if (truth.size() != predicted.size()) {
            throw new IllegalArgumentException("truth has " + truth.size() + " labels but predictions have " + predicted.size());
        }
    }

    private static final class Counts {
        long truePositives;
        long falsePositives;
        long falseNegatives;

        PrecisionRecallF1 scores() {
            double p = ratio(truePositives, truePositives + falsePositives);
            double r = ratio(truePositives, truePositives + falseNegatives);
            // sklearn >= 1.3 computes F1 as 2tp / (2tp + fp + fn), which is 0 rather than undefined when p = r = 0.
            double f = ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives);
            return new PrecisionRecallF1(p, r, f, truePositives + falseNegatives);
        }

        private static double ratio(long num, long den) {
            return den == 0 ? 0 : (double) num / den;
        }
    }
}
