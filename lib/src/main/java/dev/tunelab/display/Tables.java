package dev.tunelab.display;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleFunction;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;
import tech.tablesaw.columns.numbers.IntColumnType;
import tech.tablesaw.columns.numbers.LongColumnType;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;
import tech.tablesaw.columns.numbers.ShortColumnType;

/**
 * Tablesaw tables as HTML and text that fit a notebook page: a bounded number of rows (a
 * million-row table never floods a notebook), numbers as {@link Numbers} writes them (one number of
 * decimals per column), and long text shortened, with the whole text one click away in a
 * {@code <details>} element, so a table of model outputs stays a screen high.
 *
 * <p>Numeric columns always render through {@link Numbers#column}: a Tablesaw print formatter set
 * on the column is not used, so every table in a notebook reads the same way. To show a column
 * differently (a percentage, an id), add it as a text column.
 */
public final class Tables {
    public static final int DEFAULT_MAX_ROWS = 20;
    /** Text longer than this is shortened in an HTML cell; the whole text is kept in {@code <details>}. */
    public static final int LONG_TEXT = 120;
    /** Characters of a shortened text shown before the reader expands it. */
    static final int PREVIEW = 80;
    /** Width of a text cell in the plain-text rendering, where nothing can expand. */
    static final int TEXT_WIDTH = 40;

    private Tables() {}

    public static String html(Table table, int maxRows) {
        int shown = Math.min(maxRows, table.rowCount());
        List<List<String>> cells = new ArrayList<>();
        for (Column<?> column : table.columns()) cells.add(cells(column, shown));
        var html = new StringBuilder("<table class=\"tunelab-table\">");
        if (table.name() != null && !table.name().isEmpty()) {
            html.append("<caption>").append(escape(table.name())).append("</caption>");
        }
        html.append("<thead><tr>");
        for (String name : table.columnNames()) html.append("<th>").append(escape(name)).append("</th>");
        html.append("</tr></thead><tbody>");
        for (int row = 0; row < shown; row++) {
            html.append("<tr>");
            for (List<String> column : cells) html.append(htmlCell(column.get(row)));
            html.append("</tr>");
        }
        html.append("</tbody></table>");
        int hidden = table.rowCount() - shown;
        if (hidden > 0) html.append("<p><em>... ").append(Numbers.format((long) hidden)).append(" more rows</em></p>");
        return html.toString();
    }

    /** The first {@code maxRows} rows as aligned text: numbers right, text left and cut to {@value #TEXT_WIDTH} characters. */
    public static String text(Table table, int maxRows) {
        int shown = Math.min(maxRows, table.rowCount());
        List<List<String>> columns = new ArrayList<>();
        List<Boolean> numeric = new ArrayList<>();
        for (Column<?> column : table.columns()) {
            List<String> cells = new ArrayList<>();
            cells.add(column.name());
            cells(column, shown).forEach(c -> cells.add(column instanceof NumericColumn<?> ? c : shorten(c, TEXT_WIDTH)));
            columns.add(cells);
            numeric.add(column instanceof NumericColumn<?>);
        }
        var text = new StringBuilder();
        if (table.name() != null && !table.name().isEmpty()) text.append(table.name()).append('\n');
        int[] widths = columns.stream().mapToInt(c -> c.stream().mapToInt(String::length).max().orElse(0)).toArray();
        for (int row = 0; row <= shown; row++) {
            for (int c = 0; c < columns.size(); c++) {
                if (c > 0) text.append(" | ");
                String cell = columns.get(c).get(row);
                String pad = " ".repeat(widths[c] - cell.length());
                text.append(numeric.get(c) && row > 0 ? pad + cell : cell + pad);
            }
            text.append('\n');
            if (row == 0) {
                for (int c = 0; c < columns.size(); c++) text.append(c > 0 ? "-+-" : "").append("-".repeat(widths[c]));
                text.append('\n');
            }
        }
        int hidden = table.rowCount() - shown;
        String out = text.toString().replaceAll("(?m) +$", "").stripTrailing();
        return hidden > 0 ? out + "\n... " + Numbers.format((long) hidden) + " more rows" : out;
    }

    /** The table as a notebook result: bounded HTML plus the same rows as text. */
    public static Map<String, String> mimeBundle(Table table, int maxRows) {
        return Map.of(MimeBundles.TEXT, text(table, maxRows), MimeBundles.HTML, html(table, maxRows));
    }

    /** {@link #mimeBundle(Table, int)} with {@link #DEFAULT_MAX_ROWS}. */
    public static Map<String, String> mimeBundle(Table table) {
        return mimeBundle(table, DEFAULT_MAX_ROWS);
    }

    /**
     * A one-row table of named values, for a result that is a handful of numbers (perplexity, mean
     * NLL, tokens): render it with {@link #mimeBundle(Table)}. Whole numbers (Integer, Long) become
     * count columns, other numbers double columns, anything else text; null is a missing value.
     */
    public static Table row(String name, Map<String, ?> values) {
        Table t = Table.create(name);
        for (var e : new LinkedHashMap<>(values).entrySet()) {
            Object v = e.getValue();
            if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
                t.addColumns(LongColumn.create(e.getKey(), new long[] {((Number) v).longValue()}));
            } else if (v instanceof Number n) {
                t.addColumns(DoubleColumn.create(e.getKey(), new double[] {n.doubleValue()}));
            } else {
                StringColumn c = StringColumn.create(e.getKey());
                c.append(v == null ? null : String.valueOf(v));
                t.addColumns(c);
            }
        }
        return t;
    }

    /**
     * Sets every numeric column's Tablesaw print formatter to the {@link Numbers#column} default for
     * its current values, so that Tablesaw's own printing ({@code table.print()}, {@code getString})
     * reads like {@link #html} and {@link #text}; returns {@code table}. The values keep full precision.
     */
    public static Table formatNumbers(Table table) {
        for (NumericColumn<?> column : table.numberColumns()) {
            double[] values = new double[column.size()];
            for (int i = 0; i < values.length; i++) values[i] = column.isMissing(i) ? Double.NaN : column.getDouble(i);
            column.setPrintFormatter(new DefaultNumberFormatter(Numbers.column(values)));
        }
        return table;
    }

    /** Tablesaw's formatter hook, answering with a {@link Numbers} column format whatever the column type. */
    private static final class DefaultNumberFormatter extends NumberColumnFormatter {
        private final DoubleFunction<String> format;

        DefaultNumberFormatter(DoubleFunction<String> format) {
            super(Numbers.MISSING);
            this.format = format;
        }

        @Override
        public String format(double value) {
            return format.apply(value);
        }

        @Override
        public String format(float value) {
            return format.apply(Float.isNaN(value) ? Double.NaN : value);
        }

        @Override
        public String format(long value) {
            return value == LongColumnType.missingValueIndicator() ? Numbers.MISSING : format.apply(value);
        }

        @Override
        public String format(int value) {
            return value == IntColumnType.missingValueIndicator() ? Numbers.MISSING : format.apply(value);
        }

        @Override
        public String format(short value) {
            return value == ShortColumnType.missingValueIndicator() ? Numbers.MISSING : format.apply(value);
        }
    }

    /** The first {@code rows} cells of {@code column} as shown: numbers through {@link Numbers#column}. */
    static List<String> cells(Column<?> column, int rows) {
        List<String> cells = new ArrayList<>(rows);
        if (column instanceof NumericColumn<?> numbers) {
            double[] values = new double[rows];
            for (int i = 0; i < rows; i++) values[i] = numbers.isMissing(i) ? Double.NaN : numbers.getDouble(i);
            DoubleFunction<String> format = Numbers.column(values);
            for (double v : values) cells.add(format.apply(v));
        } else {
            for (int i = 0; i < rows; i++) cells.add(column.isMissing(i) ? "" : column.getString(i));
        }
        return cells;
    }

    private static String htmlCell(String text) {
        if (text.length() <= LONG_TEXT) return "<td>" + escape(text) + "</td>";
        // Whole stories in a narrow column made pages tens of thousands of pixels tall: the cell
        // shows a line of it, and the reader opens the rest where it matters.
        return "<td style=\"text-align:left;vertical-align:top\"><details><summary>" + escape(shorten(text, PREVIEW))
                + "</summary><div style=\"white-space:pre-wrap\">" + escape(text) + "</div></details></td>";
    }

    /** {@code text} on one line, cut at a word boundary to at most {@code width} characters with an ellipsis. */
    static String shorten(String text, int width) {
        String line = text.strip().replaceAll("\\s+", " ");
        if (line.length() <= width) return line;
        int cut = line.lastIndexOf(' ', width - 1);
        if (cut < width / 2) cut = width - 1;
        return line.substring(0, cut).stripTrailing() + "…";
    }

    static String escape(String s) {
        var out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
