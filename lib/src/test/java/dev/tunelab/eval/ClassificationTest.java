package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClassificationTest {
    // The example of scikit-learn's f1_score, precision_score and recall_score documentation
    // (https://scikit-learn.org/stable/modules/generated/sklearn.metrics.f1_score.html).
    static final List<Integer> TRUE = List.of(0, 1, 2, 0, 1, 2);
    static final List<Integer> PRED = List.of(0, 2, 1, 0, 0, 1);

    @Test
    void multiclassAveragesMatchSklearnDocs() {
        PrecisionRecallF1 macro = Classification.macro(TRUE, PRED);
        assertEquals(0.26666666666666666, macro.f1(), 1e-12); // f1_score(average='macro')
        assertEquals(0.2222222222222222, macro.precision(), 1e-12); // precision_score(average='macro')
        assertEquals(0.3333333333333333, macro.recall(), 1e-12); // recall_score(average='macro')
        PrecisionRecallF1 micro = Classification.micro(TRUE, PRED);
        assertEquals(0.3333333333333333, micro.f1(), 1e-12); // f1_score(average='micro')
        assertEquals(0.3333333333333333, micro.precision(), 1e-12);
        assertEquals(0.3333333333333333, micro.recall(), 1e-12);
        // f1_score(average=None) = [0.8, 0., 0.]; precision_score(average=None) = [0.66666667, 0., 0.]
        Map<Integer, PrecisionRecallF1> perClass = Classification.perClass(TRUE, PRED);
        assertEquals(List.of(0, 1, 2), List.copyOf(perClass.keySet()));
        assertEquals(0.8, perClass.get(0).f1(), 1e-12);
        assertEquals(2 / 3.0, perClass.get(0).precision(), 1e-12);
        assertEquals(0.0, perClass.get(1).f1(), 0);
        assertEquals(0.0, perClass.get(2).f1(), 0);
        assertEquals(Classification.accuracy(TRUE, PRED), micro.f1(), 1e-12);
    }

    @Test
    void accuracyMatchesSklearnDocs() {
        // accuracy_score([0, 1, 2, 3], [0, 2, 1, 3]) = 0.5
        // (https://scikit-learn.org/stable/modules/generated/sklearn.metrics.accuracy_score.html)
        assertEquals(0.5, Classification.accuracy(List.of(0, 1, 2, 3), List.of(0, 2, 1, 3)), 0);
    }

    @Test
    void binaryScoresThePositiveClass() {
        // Closed form: tp = 2, fp = 1, fn = 2 -> P = 2/3, R = 1/2, F1 = 2tp / (2tp + fp + fn) = 4/7.
        List<String> truth = List.of("yes", "yes", "yes", "yes", "no", "no");
        List<String> pred = List.of("yes", "yes", "no", "no", "yes", "no");
        PrecisionRecallF1 s = Classification.binary(truth, pred, "yes");
        assertEquals(2 / 3.0, s.precision(), 1e-12);
        assertEquals(0.5, s.recall(), 1e-12);
        assertEquals(4 / 7.0, s.f1(), 1e-12);
        assertEquals(4, s.support());
        // Never predicting the positive class: precision 0/0 counts as 0 (sklearn's zero_division result).
        PrecisionRecallF1 none = Classification.binary(truth, List.of("no", "no", "no", "no", "no", "no"), "yes");
        assertEquals(0.0, none.precision(), 0);
        assertEquals(0.0, none.f1(), 0);
    }

    @Test
    void badInputIsRejected() {
        var sizes = assertThrows(IllegalArgumentException.class, () -> Classification.accuracy(List.of(1), List.of(1, 2)));
        assertTrue(sizes.getMessage().contains("1 labels but predictions have 2"), sizes.getMessage());
        var multi = assertThrows(IllegalArgumentException.class, () -> Classification.binary(TRUE, PRED, 1));
        assertTrue(multi.getMessage().contains("at most 2 labels, found 3"), multi.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Classification.binary(List.of(0, 1), List.of(1, 0), 7));
    }
}
