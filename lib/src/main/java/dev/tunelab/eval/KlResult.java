package dev.tunelab.eval;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Mean and largest per-position KL divergence (nats) between two models, over {@code positions} tokens. */
public record KlResult(double meanKl, double maxKl, long positions) implements Renderable {
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "KL %.5f nats/token (max %.5f) over %,d positions", meanKl, maxKl, positions);
    }

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MimeBundles.HTML, String.format(Locale.ROOT,
                "<table><tr><th>mean KL (nats/token)</th><th>max KL</th><th>positions</th></tr>"
                        + "<tr><td>%.5f</td><td>%.5f</td><td>%,d</td></tr></table>", meanKl, maxKl, positions));
        m.put(MimeBundles.TEXT, toString());
        return m;
    }
}
