package dev.tunelab.eval;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Numbers;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.util.LinkedHashMap;
import java.util.Map;
import tech.tablesaw.api.Table;

/** Wins, losses and ties of A against B, the win rate (ties count half) and its bootstrap interval. */
public record WinRateResult(int wins, int losses, int ties, double winRate, double low, double high, double confidence,
        int resamples, long seed) implements Renderable {

    public int comparisons() {
        return wins + losses + ties;
    }

    /** One row: win rate, the interval's bounds, wins, losses, ties, resamples. */
    public Table table() {
        String ci = percent() + "% CI ";
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("win rate", winRate);
        row.put(ci + "low", low);
        row.put(ci + "high", high);
        row.put("wins", wins);
        row.put("losses", losses);
        row.put("ties", ties);
        row.put("bootstrap resamples", resamples);
        return Tables.row("win rate of A over B", row);
    }

    @Override
    public String toString() {
        return "win rate " + Numbers.format(winRate) + " [" + Numbers.format(low) + ", " + Numbers.format(high) + "] ("
                + percent() + "% bootstrap CI, " + Numbers.format((long) resamples) + " resamples, seed " + seed + "): "
                + Numbers.format((long) wins) + " wins, " + Numbers.format((long) losses) + " losses, "
                + Numbers.format((long) ties) + " ties";
    }

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> m = new LinkedHashMap<>(Tables.mimeBundle(table()));
        m.put(MimeBundles.TEXT, toString());
        return m;
    }

    /** The confidence in percent: 95, 99.9. */
    private String percent() {
        return Numbers.format(100 * confidence);
    }
}
