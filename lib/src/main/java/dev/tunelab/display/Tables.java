package dev.tunelab.display;

import java.util.Map;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/** Tablesaw tables as bounded HTML and text, so a million-row table never floods a notebook. */
public final class Tables {
    public static final int DEFAULT_MAX_ROWS = 20;

    private Tables() {}

    public static String html(Table table, int maxRows) {
        int shown = Math.min(maxRows, table.rowCount());
        var html = new StringBuilder("<table class=\"tunelab-table\">");
        if (table.name() != null && !table.name().isEmpty()) {
            html.append("<caption>").append(escape(table.name())).append("</caption>");
        }
        html.append("<thead><tr>");
        for (String name : table.columnNames()) html.append("<th>").append(escape(name)).append("</th>");
        html.append("</tr></thead><tbody>");
        for (int row = 0; row < shown; row++) {
            html.append("<tr>");
            for (Column<?> column : table.columns()) {
                html.append("<td>").append(escape(column.getString(row))).append("</td>");
            }
            html.append("</tr>");
        }
        html.append("</tbody></table>");
        int hidden = table.rowCount() - shown;
        if (hidden > 0) html.append("<p><em>... ").append(hidden).append(" more rows</em></p>");
        return html.toString();
    }

    /** The table as a notebook result: bounded HTML plus the same rows as text. */
    public static Map<String, String> mimeBundle(Table table, int maxRows) {
        return Map.of(MimeBundles.TEXT, text(table, maxRows), MimeBundles.HTML, html(table, maxRows));
    }

    public static String text(Table table, int maxRows) {
        int hidden = table.rowCount() - Math.min(maxRows, table.rowCount());
        String text = table.first(maxRows).printAll();
        return hidden > 0 ? text + "\n... " + hidden + " more rows" : text;
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
