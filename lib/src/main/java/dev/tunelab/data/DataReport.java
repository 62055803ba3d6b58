package dev.tunelab.data;

import dev.tunelab.display.Charts;
import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import dev.tunelab.io.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * A look at a data set before training on it: its size, its lengths against a model's context,
 * and the rows each quality check flags, with the worst of them to read.
 *
 * <pre>{@code
 * DataReport r = DataReport.of(train).tokenizer(lm.tokenizer(), 512).heldOut(test).build();
 * r;                      // the summary table, the length and label charts, the worst rows of each check
 * r.flagged(DataReport.NEAR_DUPLICATE)   // the rows a check flagged, with why
 * }</pre>
 *
 * Checks (each row is flagged at most once per check; see the constants):
 * <ul>
 *   <li>{@link #OVER_CONTEXT}: the example's text (all fields) is longer than the context, so a
 *       trainer would cut it (lengths in tokens with a tokenizer, else in characters);
 *   <li>{@link #EXACT_DUPLICATE}: the same text as an earlier row once whitespace is collapsed;
 *   <li>{@link #NEAR_DUPLICATE}: word n-gram Jaccard at or above the threshold with an earlier
 *       row that is not its exact duplicate ({@link NearDuplicates}; 5-grams, 0.8 by default);
 *   <li>{@link #HELD_OUT_OVERLAP}: shares a word n-gram (13 by default, GPT-3's contamination
 *       test, Brown et al. 2020 appendix C) with a held-out row, or is identical to one when
 *       shorter than n words;
 *   <li>{@link #EMPTY_FIELD}: a field that must have text is empty or whitespace only;
 *   <li>{@link #TRUNCATED_RESPONSE}: a response ends as cut-off text does: with {@code , : ; (}
 *       or {@code -}, or inside an unclosed {@code ```} code block;
 *   <li>{@link #PII}: an e-mail address, phone number, card number or IPv4 address ({@link Pii});
 *   <li>{@link #NOT_ENGLISH}: {@link EnglishCheck}'s heuristic.
 * </ul>
 * Labels (a category per row, Dolly's {@code category} by default) are counted when given.
 */
public final class DataReport implements Renderable {
    public static final String OVER_CONTEXT = "longer than context";
    public static final String EXACT_DUPLICATE = "exact duplicate";
    public static final String NEAR_DUPLICATE = "near duplicate";
    public static final String HELD_OUT_OVERLAP = "held-out overlap";
    public static final String EMPTY_FIELD = "empty field";
    public static final String TRUNCATED_RESPONSE = "truncated response";
    public static final String PII = "personal data";
    public static final String NOT_ENGLISH = "not English";

    /** A row a check flagged: its index in the data set, why, and how bad (for ordering the worst). */
    public record Flag(int row, String detail, double severity) {}

    private final String name;
    private final List<? extends Example> rows;
    private final int[] lengths;
    private final String unit;
    private final int context;
    private final Map<String, String> rules;
    private final Map<String, List<Flag>> flags;
    private final Map<String, Integer> labels;
    private final Map<String, int[]> fieldCounts;
    private final Map<Pii.Kind, Integer> piiKinds;
    private final int worst;

    private DataReport(Builder<?> b, int[] lengths, Map<String, String> rules, Map<String, List<Flag>> flags,
            Map<String, Integer> labels, Map<String, int[]> fieldCounts, Map<Pii.Kind, Integer> piiKinds) {
        this.name = b.data.name();
        this.rows = b.data.rows();
        this.lengths = lengths;
        this.unit = b.tokenizer != null ? "tokens" : "characters";
        this.context = b.context;
        this.rules = rules;
        this.flags = flags;
        this.labels = labels;
        this.fieldCounts = fieldCounts;
        this.piiKinds = piiKinds;
        this.worst = b.worst;
    }

    /** Starts a report of {@code data}; {@link Builder#build()} runs the checks. */
    public static <T extends Example> Builder<T> of(Dataset<T> data) {
        return new Builder<>(data);
    }

    /** What to check against; everything optional. */
    public static final class Builder<T extends Example> {
        private final Dataset<T> data;
        private Tokenizer tokenizer;
        private int context = -1;
        private Dataset<? extends Example> heldOut;
        private int contaminationN = 13;
        private int nearN = 5;
        private double nearThreshold = 0.8;
        private Function<? super T, String> label;
        private int worst = 5;

        private Builder(Dataset<T> data) {
            this.data = Objects.requireNonNull(data, "data");
        }

        /** Lengths in {@code tokenizer}'s tokens (without added special tokens), checked against {@code context}. */
        public Builder<T> tokenizer(Tokenizer tokenizer, int context) {
            if (context < 1) throw new IllegalArgumentException("context must be >= 1 token, got " + context);
            this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
            this.context = context;
            return this;
        }

        /** Without a tokenizer: lengths in characters, checked against {@code characters}. */
        public Builder<T> maxCharacters(int characters) {
            if (characters < 1) throw new IllegalArgumentException("maxCharacters must be >= 1, got " + characters);
            this.tokenizer = null;
            this.context = characters;
            return this;
        }

        /** The held-out set to test for overlap with (contamination), by word {@code n}-grams (13 by default). */
        public Builder<T> heldOut(Dataset<? extends Example> heldOut) {
            this.heldOut = Objects.requireNonNull(heldOut, "heldOut");
            return this;
        }

        public Builder<T> contaminationNgram(int n) {
            if (n < 1) throw new IllegalArgumentException("contamination n-gram must be >= 1, got " + n);
            this.contaminationN = n;
            return this;
        }

        /** Near duplicates: word {@code n}-gram Jaccard at least {@code threshold} (5, 0.8 by default). */
        public Builder<T> nearDuplicates(int n, double threshold) {
            new NearDuplicates(n, threshold); // validates
            this.nearN = n;
            this.nearThreshold = threshold;
            return this;
        }

        /** A label per row whose balance to show (Dolly's category when not set). */
        public Builder<T> labels(Function<? super T, String> label) {
            this.label = Objects.requireNonNull(label, "label");
            return this;
        }

        /** How many of the worst rows of each check to show (5 by default). */
        public Builder<T> worst(int k) {
            if (k < 0) throw new IllegalArgumentException("worst must be >= 0, got " + k);
            this.worst = k;
            return this;
        }

        public DataReport build() {
            List<T> rows = data.rows();
            Map<String, String> rules = new LinkedHashMap<>();
            Map<String, List<Flag>> flags = new LinkedHashMap<>();

            // lengths
            int[] lengths = new int[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                String t = rows.get(i).text();
                lengths[i] = tokenizer != null ? tokenizer.encode(t, false).length : t.length();
            }
            String unit = tokenizer != null ? "tokens" : "characters";
            if (context > 0) {
                rules.put(OVER_CONTEXT, "text longer than " + context + " " + unit);
                List<Flag> f = new ArrayList<>();
                for (int i = 0; i < rows.size(); i++) {
                    if (lengths[i] > context) f.add(new Flag(i, lengths[i] + " " + unit, lengths[i]));
                }
                flags.put(OVER_CONTEXT, f);
            }

            // exact and near duplicates
            rules.put(EXACT_DUPLICATE, "same text as an earlier row, whitespace collapsed");
            rules.put(NEAR_DUPLICATE, "word " + nearN + "-gram Jaccard >= " + nearThreshold + " with an earlier row");
            List<Flag> exact = new ArrayList<>();
            List<Flag> near = new ArrayList<>();
            Map<Hashing.Key, Integer> first = new HashMap<>();
            NearDuplicates nd = new NearDuplicates(nearN, nearThreshold);
            for (int i = 0; i < rows.size(); i++) {
                String t = rows.get(i).text();
                Integer j = first.putIfAbsent(Hashing.key(Hashing.normalizeWhitespace(t)), i);
                if (j != null) {
                    exact.add(new Flag(i, "repeats row " + j, 1));
                    continue; // an exact copy is not counted again as a near one
                }
                NearDuplicates.Match m = nd.addAt(t, i);
                if (m != null) near.add(new Flag(i, String.format("Jaccard %.2f with row %d", m.similarity(), m.of()), m.similarity()));
            }
            flags.put(EXACT_DUPLICATE, exact);
            flags.put(NEAR_DUPLICATE, near);

            // contamination
            if (heldOut != null) {
                rules.put(HELD_OUT_OVERLAP, "shares a word " + contaminationN + "-gram with a held-out row (" + heldOut.name() + ")");
                flags.put(HELD_OUT_OVERLAP, Contamination.of(heldOut, contaminationN).flags(rows));
            }

            // fields
            rules.put(EMPTY_FIELD, "a field that needs text is empty or whitespace");
            rules.put(TRUNCATED_RESPONSE, "a response ends with , : ; ( or -, or inside an unclosed ``` block");
            List<Flag> empty = new ArrayList<>();
            List<Flag> cut = new ArrayList<>();
            Map<String, int[]> fieldCounts = new LinkedHashMap<>(); // field -> {empty, whitespace only, padded}
            for (int i = 0; i < rows.size(); i++) {
                T row = rows.get(i);
                var optional = ExampleFields.optional(row);
                List<String> emptyHere = new ArrayList<>();
                for (var e : ExampleFields.of(row).entrySet()) {
                    int[] c = fieldCounts.computeIfAbsent(e.getKey().replaceAll("\\[\\d+]", "[]"), k -> new int[3]);
                    String v = e.getValue();
                    if (v.isEmpty()) c[0]++;
                    else if (v.isBlank()) c[1]++;
                    else if (!v.equals(v.strip())) c[2]++;
                    if (v.isBlank() && !optional.contains(e.getKey())) emptyHere.add(e.getKey());
                }
                if (!emptyHere.isEmpty()) empty.add(new Flag(i, "empty: " + String.join(", ", emptyHere), emptyHere.size()));
                for (var e : ExampleFields.responses(row).entrySet()) {
                    String why = Truncation.problem(e.getValue());
                    if (why != null) {
                        cut.add(new Flag(i, e.getKey() + " " + why, 1));
                        break;
                    }
                }
            }
            flags.put(EMPTY_FIELD, empty);
            flags.put(TRUNCATED_RESPONSE, cut);

            // personal data
            rules.put(PII, "an e-mail, phone, Luhn-valid card number or IPv4 address (patterns in Pii)");
            List<Flag> pii = new ArrayList<>();
            Map<Pii.Kind, Integer> kinds = new LinkedHashMap<>();
            for (Pii.Kind k : Pii.Kind.values()) kinds.put(k, 0);
            for (int i = 0; i < rows.size(); i++) {
                List<Pii.Hit> hits = Pii.find(rows.get(i).text());
                if (hits.isEmpty()) continue;
                hits.forEach(h -> kinds.merge(h.kind(), 1, Integer::sum));
                StringBuilder s = new StringBuilder();
                for (Pii.Hit h : hits.subList(0, Math.min(3, hits.size()))) s.append(s.length() > 0 ? ", " : "").append(h.kind()).append(' ').append(h.value());
                if (hits.size() > 3) s.append(", ... (").append(hits.size()).append(" hits)");
                pii.add(new Flag(i, s.toString(), hits.size()));
            }
            flags.put(PII, pii);

            // language
            rules.put(NOT_ENGLISH, "< " + (int) (100 * EnglishCheck.MIN_ASCII_LETTERS) + "% ASCII letters, or >= "
                    + EnglishCheck.MIN_WORDS + " words with < " + (int) (100 * EnglishCheck.MIN_FUNCTION_WORDS) + "% English function words");
            List<Flag> lang = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                String why = EnglishCheck.problem(rows.get(i).text());
                if (why != null) lang.add(new Flag(i, why, 1));
            }
            flags.put(NOT_ENGLISH, lang);

            // labels
            Map<String, Integer> labelCounts = new LinkedHashMap<>();
            Function<? super T, String> lab = label;
            if (lab == null && !rows.isEmpty() && rows.get(0) instanceof DollyExample) lab = r -> ((DollyExample) r).category();
            if (lab != null) {
                for (T r : rows) labelCounts.merge(lab.apply(r), 1, Integer::sum);
            }
            return new DataReport(this, lengths, rules, flags, labelCounts, fieldCounts, kinds);
        }
    }

    // ------------------------------------------------------------------ results

    public String name() {
        return name;
    }

    public int rows() {
        return rows.size();
    }

    /** Each row's length in {@link #lengthUnit()}. */
    public int[] lengths() {
        return lengths.clone();
    }

    /** "tokens" or "characters". */
    public String lengthUnit() {
        return unit;
    }

    /** The context the lengths were checked against, -1 when none was given. */
    public int context() {
        return context;
    }

    /** The checks that ran, in order, with the rule each applies. */
    public Map<String, String> rules() {
        return rules;
    }

    /** The rows {@code check} flagged, in row order. */
    public List<Flag> flagged(String check) {
        List<Flag> f = flags.get(check);
        if (f == null) throw new IllegalArgumentException("no check '" + check + "' in this report; it ran " + flags.keySet());
        return f;
    }

    /** How many rows {@code check} flagged. */
    public int count(String check) {
        return flagged(check).size();
    }

    /** Rows per label, in first-seen order; empty without labels. */
    public Map<String, Integer> labels() {
        return labels;
    }

    /** Hits of each kind of personal data (a row may hold several). */
    public Map<Pii.Kind, Integer> piiHits() {
        return piiKinds;
    }

    /** The length at quantile {@code q} (nearest rank). */
    public int lengthQuantile(double q) {
        if (lengths.length == 0) return 0;
        int[] s = lengths.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, Math.max(0, (int) Math.ceil(q * s.length) - 1))];
    }

    // ------------------------------------------------------------------ tables and charts

    /** One row per check: rows flagged, their share, and the rule. */
    public Table summary() {
        StringColumn check = StringColumn.create("check");
        IntColumn flagged = IntColumn.create("rows flagged");
        DoubleColumn share = DoubleColumn.create("share");
        StringColumn rule = StringColumn.create("rule");
        for (var e : rules.entrySet()) {
            check.append(e.getKey());
            flagged.append(count(e.getKey()));
            share.append(rows.isEmpty() ? Double.NaN : (double) count(e.getKey()) / rows.size());
            rule.append(e.getValue());
        }
        return Table.create(name + ": " + rows.size() + " rows, lengths p50 " + lengthQuantile(0.5) + " / p90 "
                + lengthQuantile(0.9) + " / max " + lengthQuantile(1) + " " + unit, check, flagged, share, rule);
    }

    /** Per text field: rows where it is empty, whitespace only, or has leading/trailing whitespace. */
    public Table fields() {
        StringColumn field = StringColumn.create("field");
        IntColumn empty = IntColumn.create("empty");
        IntColumn blank = IntColumn.create("whitespace only");
        IntColumn padded = IntColumn.create("padded with whitespace");
        fieldCounts.forEach((k, c) -> {
            field.append(k);
            empty.append(c[0]);
            blank.append(c[1]);
            padded.append(c[2]);
        });
        return Table.create(name + ": text fields", field, empty, blank, padded);
    }

    /** Rows per label, largest first, with shares. */
    public Table labelTable() {
        StringColumn l = StringColumn.create("label");
        IntColumn n = IntColumn.create("rows");
        DoubleColumn share = DoubleColumn.create("share");
        labels.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).forEach(e -> {
            l.append(e.getKey().isEmpty() ? "(none)" : e.getKey());
            n.append(e.getValue());
            share.append((double) e.getValue() / rows.size());
        });
        return Table.create(name + ": label balance", l, n, share);
    }

    /** The {@code k} worst rows {@code check} flagged (most severe first, then by row), with their text. */
    public Table worst(String check, int k) {
        IntColumn row = IntColumn.create("row");
        StringColumn why = StringColumn.create("why");
        StringColumn text = StringColumn.create("text");
        flagged(check).stream().sorted(Comparator.comparingDouble(Flag::severity).reversed().thenComparingInt(Flag::row))
                .limit(k).forEach(f -> {
                    row.append(f.row());
                    why.append(f.detail());
                    text.append(rows.get(f.row()).text());
                });
        return Table.create(name + ": " + check + " (" + count(check) + " rows; worst " + Math.min(k, count(check)) + ")", row, why, text);
    }

    /** Histogram of the lengths, with the context as a vertical line. */
    public XYChart lengthChart() {
        int max = Math.max(1, Math.max(lengthQuantile(1), context));
        int bins = 40;
        double width = Math.max(1, Math.ceil((double) max / bins));
        double[] xs = new double[bins];
        double[] ys = new double[bins];
        for (int b = 0; b < bins; b++) xs[b] = (b + 0.5) * width;
        for (int len : lengths) ys[Math.min(bins - 1, (int) (len / width))]++;
        List<Charts.Series> series = new ArrayList<>();
        series.add(Charts.Series.of("rows per " + (int) width + "-" + unit + " bin", xs, ys));
        if (context > 0) {
            double top = Arrays.stream(ys).max().orElse(1);
            series.add(Charts.Series.of("context (" + context + " " + unit + "; " + count(OVER_CONTEXT) + " rows over)",
                    new double[] {context, context}, new double[] {0, top}));
        }
        return Charts.lines(name + ": length of each example", Charts.Axis.of("length", unit), Charts.Axis.of("rows"), series);
    }

    /** Rows per label as bars; null without labels. */
    public CategoryChart labelChart() {
        if (labels.isEmpty()) return null;
        Table t = labelTable();
        CategoryChart c = new CategoryChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT)
                .title(name + ": rows per label").xAxisTitle("label").yAxisTitle("rows").build();
        c.getStyler().setXAxisLabelRotation(45);
        c.addSeries("rows", t.stringColumn("label").asList(), t.intColumn("rows").asList());
        return c;
    }

    @Override
    public Map<String, String> mimeBundle() {
        StringBuilder html = new StringBuilder(Tables.html(Tables.formatNumbers(summary()), 20));
        html.append("<img src=\"data:image/png;base64,").append(Charts.pngBase64(lengthChart())).append("\"/>");
        if (!labels.isEmpty()) {
            html.append(Tables.html(Tables.formatNumbers(labelTable()), 40));
            html.append("<img src=\"data:image/png;base64,").append(Charts.pngBase64(labelChart())).append("\"/>");
        }
        html.append(Tables.html(fields(), 40));
        StringBuilder text = new StringBuilder(Tables.text(summary(), 20));
        for (String check : rules.keySet()) {
            if (count(check) == 0 || worst == 0) continue;
            html.append(Tables.html(worst(check, worst), worst));
            text.append('\n').append(Tables.text(worst(check, worst), worst));
        }
        return Map.of(MimeBundles.HTML, html.toString(), MimeBundles.TEXT, text.toString());
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("DataReport(" + name + ": " + rows.size() + " rows");
        rules.keySet().forEach(c -> s.append(", ").append(c).append(' ').append(count(c)));
        return s.append(')').toString();
    }
}
