package dev.tunelab.eval;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Wins, losses and ties of A against B, the win rate (ties count half) and its bootstrap interval. */
public record WinRateResult(int wins, int losses, int ties, double winRate, double low, double high, double confidence,
        int resamples, long seed) implements Renderable {

    public int comparisons() {
        return wins + losses + ties;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "win rate %.3f [%.3f, %.3f] (%.0f%% bootstrap CI, %d resamples, seed %d): %d wins, %d losses, %d ties",
                winRate, low, high, 100 * confidence, resamples, seed, wins, losses, ties);
    }

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MimeBundles.HTML, String.format(Locale.ROOT,
                "<table><tr><th>win rate</th><th>%.0f%% CI</th><th>wins</th><th>losses</th><th>ties</th></tr>"
                        + "<tr><td>%.3f</td><td>[%.3f, %.3f]</td><td>%d</td><td>%d</td><td>%d</td></tr></table>",
                100 * confidence, winRate, low, high, wins, losses, ties));
        m.put(MimeBundles.TEXT, toString());
        return m;
    }
}
