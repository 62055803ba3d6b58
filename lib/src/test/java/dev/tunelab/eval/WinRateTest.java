package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.eval.WinRate.Verdict;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class WinRateTest {

    static List<Verdict> verdicts(int wins, int losses, int ties) {
        List<Verdict> v = new ArrayList<>();
        v.addAll(Collections.nCopies(wins, Verdict.A));
        v.addAll(Collections.nCopies(losses, Verdict.B));
        v.addAll(Collections.nCopies(ties, Verdict.TIE));
        return v;
    }

    @Test
    void percentileInterpolatesLikeNumpy() {
        // numpy.percentile docs: a = [[10, 7, 4], [3, 2, 1]]; np.percentile(a, 50) = 3.5.
        assertEquals(3.5, WinRate.percentile(new double[] {1, 2, 3, 4, 7, 10}, 50), 1e-12);
        // Linear rule: position q/100 * (n - 1) = 0.75 on [1, 2, 3, 4] -> 1.75.
        assertEquals(1.75, WinRate.percentile(new double[] {1, 2, 3, 4}, 25), 1e-12);
    }

    @Test
    void judgeRunsOnEveryPromptAndTiesCountHalf() {
        List<String> prompts = List.of("p1", "p2", "p3", "p4");
        List<String> a = List.of("long answer", "x", "same", "longer one");
        List<String> b = List.of("short", "yy", "same", "tiny");
        WinRateResult r = WinRate.of(prompts, a, b, (p, x, y) -> x.length() == y.length() ? Verdict.TIE
                : x.length() > y.length() ? Verdict.A : Verdict.B);
        assertEquals(2, r.wins());
        assertEquals(1, r.losses());
        assertEquals(1, r.ties());
        assertEquals(2.5 / 4, r.winRate(), 1e-12);
        assertTrue(r.low() <= r.winRate() && r.winRate() <= r.high(), r.toString());
    }

    @Test
    void unanimousVerdictsHaveADegenerateInterval() {
        WinRateResult r = WinRate.fromVerdicts(verdicts(30, 0, 0), 200, 0.95, 1);
        assertEquals(1.0, r.winRate(), 0);
        assertEquals(1.0, r.low(), 0);
        assertEquals(1.0, r.high(), 0);
    }

    @Test
    void intervalMatchesTheNormalApproximationAndTheSeedFixesIt() {
        // For n = 400 Bernoulli outcomes with p = 0.6, the bootstrap interval of the mean approaches the
        // normal interval p -/+ 1.96 sqrt(p (1 - p) / n) = 0.6 -/+ 0.048.
        List<Verdict> v = verdicts(240, 160, 0);
        WinRateResult r = WinRate.fromVerdicts(v, 4000, 0.95, 42);
        double halfWidth = 1.959964 * Math.sqrt(0.6 * 0.4 / 400);
        assertEquals(0.6 - halfWidth, r.low(), 0.006);
        assertEquals(0.6 + halfWidth, r.high(), 0.006);
        assertEquals(r, WinRate.fromVerdicts(v, 4000, 0.95, 42)); // same seed, same interval
    }

    @Test
    void judgingBothOrdersCancelsAPositionBias() {
        List<String> prompts = List.of("p1", "p2", "p3");
        List<String> a = List.of("good", "good", "bad");
        List<String> b = List.of("bad", "bad", "good");
        // A judge that always prefers the first answer shown: one order says A wins everything.
        WinRate.Judge firstWins = (p, x, y) -> Verdict.A;
        assertEquals(1.0, WinRate.of(prompts, a, b, firstWins).winRate(), 0);
        assertEquals(0.5, WinRate.ofBothOrders(prompts, a, b, firstWins, 100, 0.95, 0).winRate(), 0); // all ties
        // A judge that sees quality agrees with itself in both orders.
        WinRate.Judge quality = (p, x, y) -> x.equals(y) ? Verdict.TIE : x.equals("good") ? Verdict.A : Verdict.B;
        WinRateResult r = WinRate.ofBothOrders(prompts, a, b, quality, 100, 0.95, 0);
        assertEquals(2, r.wins());
        assertEquals(1, r.losses());
    }

    @Test
    void badInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> WinRate.fromVerdicts(List.of(), 10, 0.95, 0));
        assertThrows(IllegalArgumentException.class, () -> WinRate.fromVerdicts(verdicts(1, 1, 0), 10, 1.5, 0));
        var sizes = assertThrows(IllegalArgumentException.class,
                () -> WinRate.of(List.of("p"), List.of("a", "b"), List.of("c"), (p, x, y) -> Verdict.A));
        assertTrue(sizes.getMessage().contains("sizes 1, 2, 1"), sizes.getMessage());
        assertThrows(IllegalStateException.class, () -> WinRate.of(List.of("p"), List.of("a"), List.of("b"), (p, x, y) -> null));
    }
}
