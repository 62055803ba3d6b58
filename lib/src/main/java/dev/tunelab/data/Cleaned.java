package dev.tunelab.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import dev.tunelab.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * What a {@link Cleaning} pipeline did: the cleaned data set, a row per step (rows in, removed,
 * changed, out), every removed row with its step and reason, and the cleaned rows written with
 * their provenance. Renders as the step table.
 */
public final class Cleaned<T extends Example> implements Renderable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One step's counts: rows that reached it, removed, changed (PII hits masked), left. */
    public record StepResult(String step, String rule, int in, int removed, int masked, int out) {}

    private final Dataset<T> source;
    private final List<Cleaning.Item<T>> kept;
    private final List<Cleaning.Removal> removals;
    private final List<StepResult> steps;
    private final Dataset<T> dataset;

    Cleaned(Dataset<T> source, List<Cleaning.Item<T>> kept, List<Cleaning.Removal> removals, List<StepResult> steps) {
        this.source = source;
        this.kept = List.copyOf(kept);
        this.removals = List.copyOf(removals);
        this.steps = List.copyOf(steps);
        List<T> rows = new ArrayList<>();
        kept.forEach(it -> rows.add(it.example()));
        this.dataset = source.withRows(source.name() + " (cleaned)", rows);
    }

    /** The cleaned rows. */
    public Dataset<T> dataset() {
        return dataset;
    }

    public List<StepResult> steps() {
        return steps;
    }

    /** Every removal, in step order. */
    public List<Cleaning.Removal> removals() {
        return removals;
    }

    /** The source row index of each kept row. */
    public int[] sourceRows() {
        return kept.stream().mapToInt(Cleaning.Item::source).toArray();
    }

    /** A row per step: rows in, removed, PII hits masked, rows out. */
    public Table stepTable() {
        StringColumn step = StringColumn.create("step");
        IntColumn in = IntColumn.create("rows in");
        IntColumn removed = IntColumn.create("removed");
        IntColumn masked = IntColumn.create("PII masked");
        IntColumn out = IntColumn.create("rows out");
        StringColumn rule = StringColumn.create("rule");
        for (StepResult s : steps) {
            step.append(s.step());
            in.append(s.in());
            removed.append(s.removed());
            masked.append(s.masked());
            out.append(s.out());
            rule.append(s.rule());
        }
        return Table.create("cleaning " + source.name() + ": " + source.size() + " -> " + dataset.size() + " rows",
                step, in, removed, masked, out, rule);
    }

    /** Every removed row: the step, the source row, why, its text. */
    public Table removed() {
        return removedTable(removals);
    }

    /** The rows {@code step} removed. */
    public Table removed(String step) {
        if (steps.stream().noneMatch(s -> s.step().equals(step))) {
            throw new IllegalArgumentException("no step '" + step + "'; the steps are " + steps.stream().map(StepResult::step).toList());
        }
        return removedTable(removals.stream().filter(r -> r.step().equals(step)).toList());
    }

    private Table removedTable(List<Cleaning.Removal> rs) {
        StringColumn step = StringColumn.create("step");
        IntColumn row = IntColumn.create("row");
        StringColumn why = StringColumn.create("why");
        StringColumn text = StringColumn.create("text");
        for (Cleaning.Removal r : rs) {
            step.append(r.step());
            row.append(r.row());
            why.append(r.reason());
            text.append(source.get(r.row()).text());
        }
        return Table.create("removed from " + source.name() + " (" + rs.size() + " rows)", step, row, why, text);
    }

    /**
     * The cleaned rows as JSON Lines, each the fields its format reads (so {@code Datasets.alpaca},
     * {@code chat}, {@code preference} load the file back) and {@code provenance}: the source data
     * set and row, the steps with their rules, and how many PII hits were masked in it.
     */
    public Path writeJsonl(Path file) {
        StringBuilder out = new StringBuilder();
        try {
            for (Cleaning.Item<T> it : kept) {
                ObjectNode row = ExampleFields.json(it.example());
                ObjectNode p = row.putObject("provenance");
                p.put("source", source.name());
                p.put("source_row", it.source());
                var passed = p.putArray("cleaning");
                for (StepResult s : steps) passed.addObject().put("step", s.step()).put("rule", s.rule());
                if (it.masked() > 0) p.put("pii_masked", it.masked());
                out.append(JSON.writeValueAsString(row)).append('\n');
            }
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            AtomicFiles.writeString(file, out.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    /** The same rows and provenance as {@link #writeJsonl}, as a Parquet file (zstd). */
    public Path writeParquet(Path file) {
        try {
            Path tmp = Files.createTempFile("tunelab-cleaned", ".jsonl");
            try {
                writeJsonl(tmp);
                return Parquet.fromJsonl(tmp, file);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    @Override
    public Map<String, String> mimeBundle() {
        return Tables.mimeBundle(stepTable(), 40);
    }

    @Override
    public String toString() {
        return "Cleaned(" + source.name() + ": " + source.size() + " -> " + dataset.size() + " rows, " + removals.size() + " removed)";
    }
}
