package dev.tunelab.data;

import dev.tunelab.display.Renderable;
import dev.tunelab.io.Tokenizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * An immutable list of examples with the report of how it was loaded. Every operation returns
 * a new data set; the order of rows is kept unless the operation is {@link #shuffle(long)}.
 *
 * <pre>{@code
 * Dataset<AlpacaExample> d = Datasets.alpaca(path).dedupe();
 * var s = d.split(0.8, 0.1, 0.1, 42);
 * s.train().view(tokenizer);   // rows, token-length statistics, a sample
 * }</pre>
 */
public final class Dataset<T extends Example> implements Iterable<T>, Renderable {

    /** What counts as the same example for {@link #dedupe(Dedupe)}. */
    public enum Dedupe {
        /** Identical text. */
        EXACT,
        /** Identical after trimming and collapsing runs of whitespace to one space. */
        WHITESPACE
    }

    /** Three splits of one data set. */
    public record Splits<T extends Example>(Dataset<T> train, Dataset<T> validation, Dataset<T> test) {
        @Override
        public String toString() {
            return "train " + train.size() + ", validation " + validation.size() + ", test " + test.size();
        }
    }

    /** A training part and a held-out part of one data set. */
    public record TrainHeldOut<T extends Example>(Dataset<T> train, Dataset<T> heldOut) {
        @Override
        public String toString() {
            return "train " + train.size() + ", held-out " + heldOut.size();
        }
    }

    private final String name;
    private final List<T> rows;
    private final LoadReport report;

    Dataset(String name, List<T> rows, LoadReport report) {
        this.name = Objects.requireNonNull(name, "name");
        this.rows = Collections.unmodifiableList(new ArrayList<>(rows));
        this.report = Objects.requireNonNull(report, "report");
    }

    /** A data set of examples made in code. */
    public static <T extends Example> Dataset<T> of(String name, List<T> rows) {
        return new Dataset<>(name, rows, new LoadReport(name, rows.size(), 0, List.of(), List.of()));
    }

    /** Other rows under a new name, keeping this set's load report (for derived sets). */
    Dataset<T> withRows(String newName, List<T> newRows) {
        return new Dataset<>(newName, newRows, report);
    }

    private Dataset<T> with(String suffix, List<T> newRows) {
        return new Dataset<>(name + suffix, newRows, report);
    }

    public String name() {
        return name;
    }

    public int size() {
        return rows.size();
    }

    public T get(int i) {
        return rows.get(i);
    }

    /** The rows, unmodifiable. */
    public List<T> rows() {
        return rows;
    }

    public Stream<T> stream() {
        return rows.stream();
    }

    @Override
    public Iterator<T> iterator() {
        return rows.iterator();
    }

    /** How the rows were loaded: counts, bad rows skipped and why, notes. */
    public LoadReport report() {
        return report;
    }

    // ------------------------------------------------------------------ operations

    /** The rows in an order fixed by {@code seed} (the same seed, the same order, on any JVM). */
    public Dataset<T> shuffle(long seed) {
        List<T> out = new ArrayList<>(rows);
        Random random = new Random(seed); // java.util.Random's sequence is fixed by its specification
        for (int i = out.size() - 1; i > 0; i--) {
            Collections.swap(out, i, random.nextInt(i + 1));
        }
        return with(" (shuffled)", out);
    }

    /** The first {@code n} rows (all when there are fewer). */
    public Dataset<T> head(int n) {
        return with(" (head " + n + ")", rows.subList(0, Math.min(n, rows.size())));
    }

    /**
     * Splits by {@code ratios} (any positive weights: {@code {0.8, 0.2}} or {@code {8, 1, 1}}).
     * Each row's split is decided by a hash of its text and {@code seed}, not by its position:
     * the same seed gives the same split, rows added later do not move the existing ones, and
     * duplicates land in the same split (so none leaks from train into test). The sizes
     * therefore match the ratios only approximately (within a few standard deviations of a
     * binomial draw). Rows keep their order within each split.
     */
    public List<Dataset<T>> split(double[] ratios, long seed) {
        double total = 0;
        for (double r : ratios) {
            if (!(r >= 0) || Double.isInfinite(r)) throw new IllegalArgumentException("split ratios must be >= 0, got " + r);
            total += r;
        }
        if (ratios.length == 0 || total <= 0) throw new IllegalArgumentException("split needs at least one positive ratio");
        double[] upper = new double[ratios.length];
        double acc = 0;
        for (int i = 0; i < ratios.length; i++) upper[i] = (acc += ratios[i]) / total;
        List<List<T>> parts = new ArrayList<>();
        for (int i = 0; i < ratios.length; i++) parts.add(new ArrayList<>());
        for (T row : rows) {
            double u = (Hashing.hash(row.text(), seed) >>> 11) * 0x1.0p-53;
            int k = 0;
            while (k < upper.length - 1 && (u >= upper[k] || ratios[k] == 0)) k++;
            parts.get(k).add(row);
        }
        List<Dataset<T>> out = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) out.add(with(" (split " + i + ")", parts.get(i)));
        return out;
    }

    /** Train, validation and test splits; see {@link #split(double[], long)}. */
    public Splits<T> split(double train, double validation, double test, long seed) {
        List<Dataset<T>> s = split(new double[] {train, validation, test}, seed);
        return new Splits<>(s.get(0).renamed(name + " (train)"), s.get(1).renamed(name + " (validation)"),
                s.get(2).renamed(name + " (test)"));
    }

    private Dataset<T> renamed(String newName) {
        return new Dataset<>(newName, rows, report);
    }

    /** The same rows under another name (shown in tables and reports). */
    public Dataset<T> renamedTo(String newName) {
        return renamed(newName);
    }

    /**
     * Splits by {@code ratios} within each label, so that every label keeps its share in every
     * part (a stratified split, as scikit-learn's {@code train_test_split(stratify=...)}). Within
     * a label the rows are ordered by a hash of their text and {@code seed}, and the first
     * {@code ratio * count} go to the first part and so on, each part's count rounded by the
     * largest remainder (so the counts add up); a label of a single row goes to the first part.
     * Rows keep their order within each part. Remove duplicates first: two copies of a row may
     * land in different parts.
     */
    public List<Dataset<T>> stratifiedSplit(Function<? super T, String> label, double[] ratios, long seed) {
        Objects.requireNonNull(label, "label");
        double total = 0;
        for (double r : ratios) {
            if (!(r >= 0) || Double.isInfinite(r)) throw new IllegalArgumentException("split ratios must be >= 0, got " + r);
            total += r;
        }
        if (ratios.length == 0 || total <= 0) throw new IllegalArgumentException("split needs at least one positive ratio");
        Map<String, List<Integer>> groups = new java.util.LinkedHashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            String l = label.apply(rows.get(i));
            groups.computeIfAbsent(l == null ? "" : l, k -> new ArrayList<>()).add(i);
        }
        int[] part = new int[rows.size()];
        for (List<Integer> g : groups.values()) {
            List<Integer> order = new ArrayList<>(g);
            order.sort(java.util.Comparator.comparingLong((Integer i) -> Hashing.hash(rows.get(i).text(), seed)).thenComparingInt(i -> i));
            int[] counts = largestRemainder(g.size(), ratios, total);
            int at = 0;
            for (int k = 0; k < counts.length; k++) {
                for (int c = 0; c < counts[k]; c++) part[order.get(at++)] = k;
            }
        }
        List<List<T>> parts = new ArrayList<>();
        for (int k = 0; k < ratios.length; k++) parts.add(new ArrayList<>());
        for (int i = 0; i < rows.size(); i++) parts.get(part[i]).add(rows.get(i));
        List<Dataset<T>> out = new ArrayList<>();
        for (int k = 0; k < parts.size(); k++) out.add(with(" (stratified " + k + ")", parts.get(k)));
        return out;
    }

    /** A train and a held-out part, stratified by {@code label}; see {@link #stratifiedSplit(Function, double[], long)}. */
    public TrainHeldOut<T> stratifiedSplit(Function<? super T, String> label, double heldOut, long seed) {
        if (!(heldOut > 0 && heldOut < 1)) throw new IllegalArgumentException("heldOut must be in (0, 1), got " + heldOut);
        List<Dataset<T>> s = stratifiedSplit(label, new double[] {1 - heldOut, heldOut}, seed);
        return new TrainHeldOut<>(s.get(0).renamed(name + " (train)"), s.get(1).renamed(name + " (held-out)"));
    }

    /** {@code n} rows shared out by {@code ratios}: floors, then one more to the largest remainders (ties: the earlier part). */
    static int[] largestRemainder(int n, double[] ratios, double total) {
        int[] counts = new int[ratios.length];
        double[] rest = new double[ratios.length];
        int given = 0;
        for (int k = 0; k < ratios.length; k++) {
            double exact = n * ratios[k] / total;
            counts[k] = (int) Math.floor(exact);
            rest[k] = exact - counts[k];
            given += counts[k];
        }
        while (given < n) {
            int best = 0;
            for (int k = 1; k < ratios.length; k++) if (rest[k] > rest[best] + 1e-12) best = k;
            counts[best]++;
            rest[best] = -1;
            given++;
        }
        return counts;
    }

    /** Drops rows whose text repeats an earlier row's after whitespace normalization. */
    public Dataset<T> dedupe() {
        return dedupe(Dedupe.WHITESPACE);
    }

    /** Drops rows that repeat an earlier row, keeping the first. */
    public Dataset<T> dedupe(Dedupe mode) {
        Set<Hashing.Key> seen = new HashSet<>();
        List<T> out = new ArrayList<>();
        for (T row : rows) {
            String s = mode == Dedupe.EXACT ? row.text() : Hashing.normalizeWhitespace(row.text());
            if (seen.add(Hashing.key(s))) out.add(row);
        }
        return with(" (deduped)", out);
    }

    public Dataset<T> filter(Predicate<? super T> keep) {
        List<T> out = new ArrayList<>();
        for (T row : rows) if (keep.test(row)) out.add(row);
        return with(" (filtered)", out);
    }

    /**
     * Rows whose text is {@code min..max} tokens long (both inclusive), counted without the
     * special tokens the tokenizer adds.
     */
    public Dataset<T> filterByTokenLength(Tokenizer tokenizer, int min, int max) {
        if (min > max) throw new IllegalArgumentException("min " + min + " > max " + max);
        return filter(row -> {
            int n = tokenizer.encode(row.text(), false).length;
            return n >= min && n <= max;
        });
    }

    /** Each row's text length in tokens (without added special tokens). */
    public int[] tokenLengths(Tokenizer tokenizer) {
        return rows.stream().mapToInt(r -> tokenizer.encode(r.text(), false).length).toArray();
    }

    public <R extends Example> Dataset<R> map(Function<? super T, R> f) {
        List<R> out = new ArrayList<>(rows.size());
        for (T row : rows) out.add(f.apply(row));
        return new Dataset<>(name, out, report);
    }

    /** This data set's rows followed by {@code other}'s. */
    public Dataset<T> concat(Dataset<T> other) {
        List<T> out = new ArrayList<>(rows);
        out.addAll(other.rows);
        return new Dataset<>(name + " + " + other.name, out, report.plus(other.report));
    }

    // ------------------------------------------------------------------ views

    /** All rows as a Tablesaw table, one string column per field. */
    public Table table() {
        Set<String> names = new LinkedHashSet<>();
        for (T row : rows) names.addAll(row.columns().keySet());
        Table t = Table.create(name);
        for (String n : names) {
            StringColumn c = StringColumn.create(n);
            for (T row : rows) {
                String v = row.columns().get(n);
                c.append(v == null ? "" : v);
            }
            t.addColumns(c);
        }
        return t;
    }

    /** Row count, token-length statistics and a sample, ready to show in a notebook. */
    public DatasetView view(Tokenizer tokenizer) {
        return DatasetView.of(this, tokenizer);
    }

    /** Like {@link #view(Tokenizer)} with lengths in characters. */
    public DatasetView view() {
        return DatasetView.of(this, null);
    }

    @Override
    public Map<String, String> mimeBundle() {
        return view().mimeBundle();
    }

    @Override
    public String toString() {
        return name + ": " + rows.size() + " rows" + (report.skipped() > 0 ? " (" + report.skipped() + " bad rows skipped)" : "");
    }
}
