package dev.tunelab.eval;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import tech.tablesaw.api.Table;

/**
 * A BLEU score (0..100) with its parts, printed as sacreBLEU prints it (so the line compares with
 * Python's): {@code BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)};
 * in a notebook a one-row table.
 *
 * @param counts matched n-grams per order (1..4), clipped by the references
 * @param totals hypothesis n-grams per order
 * @param precisions smoothed n-gram precisions in percent
 * @param brevityPenalty exp(1 - r/c) when the hypotheses are shorter than the references, else 1
 */
public record BleuScore(double score, long[] counts, long[] totals, double[] precisions, double brevityPenalty,
        long hypLength, long refLength) implements Renderable {

    public double ratio() {
        return refLength == 0 ? 0 : (double) hypLength / refLength;
    }

    @Override
    public String toString() {
        StringBuilder p = new StringBuilder();
        for (int n = 0; n < precisions.length; n++) {
            p.append(n == 0 ? "" : "/").append(String.format(Locale.ROOT, "%.1f", precisions[n]));
        }
        return String.format(Locale.ROOT, "BLEU = %.2f %s (BP = %.3f ratio = %.3f hyp_len = %d ref_len = %d)",
                score, p, brevityPenalty, ratio(), hypLength, refLength);
    }

    /** One row: BLEU, the n-gram precisions (percent), brevity penalty, length ratio and lengths. */
    public Table table() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("BLEU", score);
        for (int n = 0; n < precisions.length; n++) row.put((n + 1) + "-gram precision (%)", precisions[n]);
        row.put("brevity penalty", brevityPenalty);
        row.put("length ratio", ratio());
        row.put("hypothesis tokens", hypLength);
        row.put("reference tokens", refLength);
        return Tables.row("BLEU", row);
    }

    /** The table in HTML; sacreBLEU's line as text. */
    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> m = new LinkedHashMap<>(Tables.mimeBundle(table()));
        m.put(MimeBundles.TEXT, toString());
        return m;
    }
}
