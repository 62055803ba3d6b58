package dev.tunelab.peft;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.util.LinkedHashMap;
import java.util.Map;
import tech.tablesaw.api.Table;

/**
 * Trainable against all parameters, printed as PEFT's print_trainable_parameters does (so the
 * line compares with Python's); in a notebook a one-row table. Quantized base weights count as
 * the parameters they stand for, not as their bytes.
 */
public record ParameterCounts(long trainable, long total) implements Renderable {
    public double trainablePercent() {
        return total == 0 ? 0 : 100.0 * trainable / total;
    }

    /** One row: trainable parameters, all parameters, the trainable percentage. */
    public Table table() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("trainable params", trainable);
        row.put("all params", total);
        row.put("trainable %", trainablePercent());
        return Tables.row("parameters", row);
    }

    /** PEFT's line, {@code trainable%} with PEFT's four decimals. */
    @Override
    public String toString() {
        return String.format("trainable params: %,d || all params: %,d || trainable%%: %.4f", trainable, total, trainablePercent());
    }

    @Override
    public Map<String, String> mimeBundle() {
        Map<String, String> b = new LinkedHashMap<>(Tables.mimeBundle(table()));
        b.put(MimeBundles.TEXT, toString());
        return b;
    }
}
