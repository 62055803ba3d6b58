package dev.tunelab.train;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Numbers;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.util.LinkedHashMap;
import java.util.Map;
import tech.tablesaw.api.Table;

/**
 * A perplexity measurement: the mean negative log-likelihood per predicted token (nats), its
 * exponential, and how many tokens were predicted. Shows itself as a one-row table.
 */
public record PerplexityResult(double nll, double perplexity, long tokens) implements Renderable {

    /** One row: perplexity, mean NLL (nats/token), tokens. */
    public Table table() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("perplexity", perplexity);
        row.put("mean NLL (nats/token)", nll);
        row.put("tokens", tokens);
        return Tables.row("perplexity", row);
    }

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> m = new LinkedHashMap<>(Tables.mimeBundle(table()));
        m.put(MimeBundles.TEXT, toString());
        return m;
    }

    @Override
    public String toString() {
        return "perplexity " + Numbers.format(perplexity) + " (mean NLL " + Numbers.format(nll) + " nats/token over "
                + Numbers.format(tokens) + " tokens)";
    }
}
