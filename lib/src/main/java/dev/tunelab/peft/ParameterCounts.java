package dev.tunelab.peft;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Trainable against all parameters, printed as PEFT's print_trainable_parameters does. Quantized
 * base weights count as the parameters they stand for, not as their bytes.
 */
public record ParameterCounts(long trainable, long total) implements Renderable {
    public double trainablePercent() {
        return total == 0 ? 0 : 100.0 * trainable / total;
    }

    @Override
    public String toString() {
        return String.format("trainable params: %,d || all params: %,d || trainable%%: %.4f", trainable, total, trainablePercent());
    }

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> b = new LinkedHashMap<>();
        b.put(MimeBundles.HTML, String.format(
                "<table><tr><th>trainable params</th><th>all params</th><th>trainable %%</th></tr>"
                        + "<tr><td>%,d</td><td>%,d</td><td>%.4f</td></tr></table>",
                trainable, total, trainablePercent()));
        b.put(MimeBundles.TEXT, toString());
        return b;
    }
}
