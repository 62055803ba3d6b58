package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PairedBootstrapTest {
    @Test
    void aConstantDifferenceHasAnIntervalOfOnePoint() {
        PairedBootstrap.Gap g = PairedBootstrap.meanGap(new double[] {3, 5, 7}, new double[] {1, 3, 5}, 200, 0.95, 1);
        assertEquals(2, g.mean(), 1e-12);
        assertEquals(2, g.lower(), 1e-12);
        assertEquals(2, g.upper(), 1e-12);
        assertTrue(g.excludesZero());
    }

    @Test
    void intervalMatchesTheBinomialLawOfTheResampledMean() {
        // differences {1, 0, 0, 0}: a resample's mean is k/4 with k ~ Binomial(4, 1/4):
        // P(k = 0) = 0.316 > 2.5%, so the 2.5th percentile is 0; P(k >= 3) = 0.0508 > 2.5% and
        // P(k = 4) = 0.0039 < 2.5%, so the 97.5th percentile is 3/4.
        double[] a = {1, 5, 2, 7};
        double[] b = {0, 5, 2, 7};
        PairedBootstrap.Gap g = PairedBootstrap.meanGap(a, b, 20_000, 0.95, 7);
        assertEquals(0.25, g.mean(), 1e-12);
        assertEquals(0, g.lower(), 1e-12);
        assertEquals(0.75, g.upper(), 1e-12);
        assertFalse(g.excludesZero());
        // the resampled means follow the binomial law: P(k = 0) = (3/4)^4, P(k = 1) = 4 (1/4)(3/4)^3
        double[] means = PairedBootstrap.resampledMeans(new double[] {1, 0, 0, 0}, 20_000, 7);
        assertEquals(Math.pow(0.75, 4), Arrays.stream(means).filter(m -> m == 0).count() / 20_000.0, 0.01);
        assertEquals(4 * 0.25 * Math.pow(0.75, 3), Arrays.stream(means).filter(m -> m == 0.25).count() / 20_000.0, 0.01);
    }

    @Test
    void pairsAreResampledTogetherAndTheSeedFixesTheInterval() {
        // b = a + 1 exactly: resampling the sides apart would give a wide interval, pairs give [-1, -1]
        double[] a = {10, -4, 3, 8, 0, 22};
        double[] b = Arrays.stream(a).map(x -> x + 1).toArray();
        PairedBootstrap.Gap g = PairedBootstrap.meanGap(a, b, 500, 0.9, 3);
        assertEquals(-1, g.lower(), 1e-12);
        assertEquals(-1, g.upper(), 1e-12);
        double[] c = {1, 2, 9, 4, 0, 3};
        assertEquals(PairedBootstrap.meanGap(a, c, 500, 0.95, 3), PairedBootstrap.meanGap(a, c, 500, 0.95, 3));
        assertThrows(IllegalArgumentException.class, () -> PairedBootstrap.meanGap(new double[] {1}, new double[] {1, 2}, 10, 0.95, 0));
        assertThrows(IllegalArgumentException.class, () -> PairedBootstrap.meanGap(new double[] {Double.NaN}, new double[] {1}, 10, 0.95, 0));
    }
}
