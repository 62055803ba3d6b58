package dev.tunelab.train;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A perplexity measurement: the mean negative log-likelihood per predicted token (nats), its
 * exponential, and how many tokens were predicted.
 */
public record PerplexityResult(double nll, double perplexity, long tokens) implements Renderable {

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MimeBundles.HTML, String.format(Locale.ROOT,
                "<table><tr><th>perplexity</th><th>mean NLL (nats)</th><th>tokens</th></tr>"
                        + "<tr><td>%.3f</td><td>%.4f</td><td>%,d</td></tr></table>", perplexity, nll, tokens));
        m.put(MimeBundles.TEXT, toString());
        return m;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "perplexity %.3f (mean NLL %.4f nats over %,d tokens)", perplexity, nll, tokens);
    }
}
