package dev.tunelab.eval;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Numbers;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.util.LinkedHashMap;
import java.util.Map;
import tech.tablesaw.api.Table;

/** Mean and largest per-position KL divergence (nats) between two models, over {@code positions} tokens. */
public record KlResult(double meanKl, double maxKl, long positions) implements Renderable {
    /** One row: mean KL, max KL (both nats/token), positions. */
    public Table table() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("mean KL (nats/token)", meanKl);
        row.put("max KL (nats/token)", maxKl);
        row.put("positions", positions);
        return Tables.row("next-token KL divergence", row);
    }

    @Override
    public String toString() {
        return "KL " + Numbers.format(meanKl) + " nats/token (max " + Numbers.format(maxKl) + ") over "
                + Numbers.format(positions) + " positions";
    }

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> m = new LinkedHashMap<>(Tables.mimeBundle(table()));
        m.put(MimeBundles.TEXT, toString());
        return m;
    }
}
