package dev.tunelab.data;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Numbers;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import dev.tunelab.io.Tokenizer;
import java.util.Arrays;
import java.util.Map;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * A data set at a glance: a summary table (rows, bad rows skipped, length statistics in tokens
 * or characters, numbers as {@link Numbers} writes them) and the first few rows, long values shortened.
 */
public record DatasetView(String name, Lengths lengths, Table summary, Table sample, LoadReport report)
        implements Renderable {
    static final int SAMPLE_ROWS = 5;
    static final int SAMPLE_CHARS = 160;

    /** Length statistics of a data set's rows; {@code unit} is "tokens" or "chars". */
    public record Lengths(String unit, int count, long total, int min, double mean, int median, int p95, int max) {
        static Lengths of(String unit, int[] n) {
            if (n.length == 0) return new Lengths(unit, 0, 0, 0, 0, 0, 0, 0);
            int[] s = n.clone();
            Arrays.sort(s);
            long total = 0;
            for (int v : s) total += v;
            return new Lengths(unit, s.length, total, s[0], (double) total / s.length,
                    s[(s.length - 1) / 2], s[(int) Math.ceil(0.95 * s.length) - 1], s[s.length - 1]);
        }
    }

    static DatasetView of(Dataset<?> d, Tokenizer tokenizer) {
        int[] n = tokenizer != null ? d.tokenLengths(tokenizer) : d.stream().mapToInt(r -> r.text().length()).toArray();
        Lengths len = Lengths.of(tokenizer != null ? "tokens" : "chars", n);

        StringColumn what = StringColumn.create("measure");
        StringColumn value = StringColumn.create("value");
        what.append("rows");
        value.append(Numbers.format((long) d.size()));
        if (d.report().skipped() > 0) {
            what.append("bad rows skipped");
            value.append(Numbers.format((long) d.report().skipped()));
        }
        String u = " (" + len.unit() + ")";
        String[][] stats = {
            {"total" + u, Numbers.format(len.total())},
            {"min" + u, Numbers.format((long) len.min())},
            {"mean" + u, Numbers.format(len.mean())},
            {"median" + u, Numbers.format((long) len.median())},
            {"p95" + u, Numbers.format((long) len.p95())},
            {"max" + u, Numbers.format((long) len.max())},
        };
        for (String[] s : stats) {
            what.append(s[0]);
            value.append(s[1]);
        }
        Table summary = Table.create(d.name(), what, value);

        Table sample = d.head(SAMPLE_ROWS).table().setName("sample");
        for (var c : sample.columns()) {
            StringColumn sc = (StringColumn) c;
            for (int i = 0; i < sc.size(); i++) sc.set(i, shorten(sc.get(i)));
        }
        return new DatasetView(d.name(), len, summary, sample, d.report());
    }

    private static String shorten(String s) {
        String one = s.strip().replace("\n", " \u21b5 ");
        return one.length() <= SAMPLE_CHARS ? one : one.substring(0, SAMPLE_CHARS - 1) + "\u2026";
    }

    @Override
    public Map<String, String> mimeBundle() {
        var html = new StringBuilder(Tables.html(summary, Tables.DEFAULT_MAX_ROWS));
        if (report.skipped() > 0) {
            html.append("<details><summary>").append(Numbers.format((long) report.skipped())).append(" bad rows skipped</summary><pre>");
            report.firstErrors().forEach(e -> html.append(escape(e)).append('\n'));
            html.append("</pre></details>");
        }
        report.notes().forEach(n -> html.append("<p><em>").append(escape(n)).append("</em></p>"));
        html.append(Tables.html(sample, SAMPLE_ROWS));
        return Map.of(MimeBundles.TEXT, toString(), MimeBundles.HTML, html.toString());
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    @Override
    public String toString() {
        var s = new StringBuilder(Tables.text(summary, Tables.DEFAULT_MAX_ROWS));
        if (report.skipped() > 0 || !report.notes().isEmpty()) s.append('\n').append(report);
        return s.append('\n').append(Tables.text(sample, SAMPLE_ROWS)).toString();
    }
}
