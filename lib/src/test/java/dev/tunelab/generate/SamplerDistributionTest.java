package dev.tunelab.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sampler draws from exactly the distribution transformers' warpers define: softmax of
 * logits / T, cut to the k most likely tokens, then to the smallest prefix whose renormalised
 * probability reaches top_p, renormalised again. A chi-square test over 200,000 draws on a fixed
 * logit vector, per setting, at the 0.1% level; tokens outside the kept set are never drawn.
 */
class SamplerDistributionTest {
    static final float[] LOGITS = {1.2f, -0.3f, 2.5f, 0.0f, 0.7f, -1.5f, 2.1f, 0.4f};
    static final int DRAWS = 200_000;
    // chi-square critical values at p = 0.001 for 1..7 degrees of freedom
    static final double[] CRITICAL = {0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32};

    /** The target distribution, computed directly from the definitions. */
    static double[] expected(double temperature, int topK, double topP) {
        int v = LOGITS.length;
        double[] p = new double[v];
        double z = 0;
        for (int i = 0; i < v; i++) {
            p[i] = Math.exp(LOGITS[i] / temperature);
            z += p[i];
        }
        for (int i = 0; i < v; i++) p[i] /= z;
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        boolean[] kept = new boolean[v];
        int k = topK > 0 ? topK : v;
        double mass = 0;
        for (int r = 0; r < k; r++) mass += p[order[r]];
        double cumulative = 0;
        for (int r = 0; r < k; r++) {
            kept[order[r]] = true;
            cumulative += p[order[r]] / mass;
            if (cumulative >= topP) break;
        }
        double keptMass = 0;
        for (int i = 0; i < v; i++) if (kept[i]) keptMass += p[i];
        double[] out = new double[v];
        for (int i = 0; i < v; i++) out[i] = kept[i] ? p[i] / keptMass : 0;
        return out;
    }

    @Test
    void temperatureTopKAndTopPDrawFromTheRenormalisedDistribution() {
        record Setting(double temperature, int topK, double topP) {}
        for (Setting s : List.of(new Setting(0.7, 0, 1.0), new Setting(1.0, 3, 1.0), new Setting(1.3, 0, 0.8),
                new Setting(1.0, 5, 0.9), new Setting(2.0, 0, 0.5))) {
            double[] want = expected(s.temperature(), s.topK(), s.topP());
            Sampler sampler = new Sampler(GenerationConfig.sample(s.temperature()).topK(s.topK()).topP(s.topP()).seed(7));
            long[] counts = new long[LOGITS.length];
            for (int i = 0; i < DRAWS; i++) counts[sampler.next(LOGITS)]++;
            double chi2 = 0;
            int support = 0;
            for (int i = 0; i < LOGITS.length; i++) {
                if (want[i] == 0) {
                    assertEquals(0, counts[i], s + ": token " + i + " is outside the kept set");
                    continue;
                }
                support++;
                double e = want[i] * DRAWS;
                chi2 += (counts[i] - e) * (counts[i] - e) / e;
            }
            assertTrue(support >= 2, s + " keeps at least two tokens");
            assertTrue(chi2 < CRITICAL[support - 1], s + ": chi-square " + chi2 + " with " + (support - 1)
                    + " degrees of freedom; counts " + Arrays.toString(counts) + ", expected " + Arrays.toString(want));
        }
    }

    @Test
    void aWrongDistributionFailsTheSameTest() {
        // the test has power: the temperature-1 counts are far from the temperature-0.7 target
        double[] want = expected(0.7, 0, 1.0);
        Sampler sampler = new Sampler(GenerationConfig.sample(1.0).seed(7));
        long[] counts = new long[LOGITS.length];
        for (int i = 0; i < DRAWS; i++) counts[sampler.next(LOGITS)]++;
        double chi2 = 0;
        for (int i = 0; i < LOGITS.length; i++) {
            double e = want[i] * DRAWS;
            chi2 += (counts[i] - e) * (counts[i] - e) / e;
        }
        assertTrue(chi2 > 100 * CRITICAL[7], "chi-square " + chi2);
    }
}
