package dev.tunelab.eval;

import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.Locale;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

/** How evaluation tables print numbers: up to 4 decimals, a dot whatever the locale; the data keep full precision. */
final class Formats {
    private Formats() {}

    static Table numbers(Table table) {
        for (var column : table.numberColumns()) {
            column.setPrintFormatter(new NumberColumnFormatter(
                    new DecimalFormat("0.####", DecimalFormatSymbols.getInstance(Locale.ROOT)), ""));
        }
        return table;
    }
}
