package dev.tunelab.distill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import dev.tunelab.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * What {@link SyntheticData} made: every sample with the stage that stopped it (or kept), the
 * acceptance per stage ({@link #stageTable()}), per task group ({@link #stats()}), and the kept
 * rows, written as JSONL with their provenance. Renders as the stage table.
 */
public final class SyntheticSet<T extends TeacherTask> implements Renderable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One sample and its fate.
     *
     * @param index which of the task's k samples (0-based)
     * @param stage the stage that rejected it, null when kept
     * @param reason the rejection as {@link FilterStats} counts it (the failed check's kind for the task's checks)
     * @param reward the best-of-k reward, NaN without one
     */
    public record Outcome<T extends TeacherTask>(T task, int index, Teacher.Sample sample, String stage, String reason,
            double reward) {
        public boolean kept() {
            return stage == null;
        }

        Outcome<T> rejectedAt(String stage, String reason) {
            return new Outcome<>(task, index, sample, stage, reason, reward);
        }

        public Candidate candidate() {
            return sample.candidate();
        }
    }

    private final Map<String, Object> settings;
    private final List<String> stages;
    private final List<Outcome<T>> outcomes;
    private final FilterStats stats;

    SyntheticSet(Map<String, Object> settings, List<String> stages, List<Outcome<T>> outcomes, FilterStats stats) {
        this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        this.stages = List.copyOf(stages);
        this.outcomes = List.copyOf(outcomes);
        this.stats = stats;
    }

    /** Teacher, sampling settings, seed and the filter chain: the provenance every row carries. */
    public Map<String, Object> settings() {
        return settings;
    }

    /** Every sample, task by task, in sample order. */
    public List<Outcome<T>> outcomes() {
        return outcomes;
    }

    /** The kept samples, in task order. */
    public List<Outcome<T>> kept() {
        return outcomes.stream().filter(Outcome::kept).toList();
    }

    /** Counts per task group, rejections by reason. */
    public FilterStats stats() {
        return stats;
    }

    /**
     * One row per stage: samples that reached it, passed it, the pass rate there and the share of
     * all samples still in after it.
     */
    public Table stageTable() {
        StringColumn stage = StringColumn.create("stage");
        IntColumn reached = IntColumn.create("reached");
        IntColumn passed = IntColumn.create("passed");
        DoubleColumn rate = DoubleColumn.create("pass rate");
        DoubleColumn cumulative = DoubleColumn.create("kept so far");
        int in = outcomes.size();
        for (String s : stages) {
            int out = (int) outcomes.stream().filter(o -> s.equals(o.stage())).count();
            stage.append(s);
            reached.append(in);
            passed.append(in - out);
            rate.append(in == 0 ? Double.NaN : (double) (in - out) / in);
            cumulative.append(outcomes.isEmpty() ? Double.NaN : (double) (in - out) / outcomes.size());
            in -= out;
        }
        return Table.create("synthetic data: acceptance per stage (" + kept().size() + " of " + outcomes.size() + " kept)",
                stage, reached, passed, rate, cumulative);
    }

    /** The kept rows as {@link #writeJsonl} writes them, the provenance left out: one column per field. */
    public Table table() {
        Map<String, StringColumn> columns = new LinkedHashMap<>();
        List<Outcome<T>> kept = kept();
        for (int i = 0; i < kept.size(); i++) {
            Map<String, String> row = kept.get(i).task().row(kept.get(i).candidate().completion());
            for (var e : row.entrySet()) {
                StringColumn c = columns.computeIfAbsent(e.getKey(), StringColumn::create);
                while (c.size() < i) c.appendMissing();
                c.append(e.getValue());
            }
        }
        columns.values().forEach(c -> { while (c.size() < kept.size()) c.appendMissing(); });
        return Table.create("synthetic data (" + kept.size() + " rows)", columns.values().toArray(new StringColumn[0]));
    }

    /**
     * One JSON object a kept sample: the task's row ({@link TeacherTask#row}, for instruction tasks the
     * Alpaca fields), then {@code provenance}: teacher and sampling settings, the batch's sampling
     * seed, which of the task's samples it was, the stages it passed, and the best-of-k reward.
     */
    public void writeJsonl(Path file) {
        StringBuilder out = new StringBuilder();
        try {
            for (Outcome<T> o : kept()) {
                ObjectNode row = JSON.createObjectNode();
                o.task().row(o.candidate().completion()).forEach(row::put);
                ObjectNode p = row.putObject("provenance");
                settings.forEach((k, v) -> p.set(k, JSON.valueToTree(v)));
                p.put("sample_seed", o.sample().seed());
                p.put("sample_index", o.index());
                ObjectNode passed = p.putObject("filters");
                stages.forEach(s -> passed.put(s, true));
                if (!Double.isNaN(o.reward())) p.put("reward", o.reward());
                out.append(JSON.writeValueAsString(row)).append('\n');
            }
            AtomicFiles.writeString(file, out.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    @Override
    public Map<String, String> mimeBundle() {
        return Tables.mimeBundle(stageTable(), 40);
    }

    @Override
    public String toString() {
        return "SyntheticSet(" + kept().size() + " of " + outcomes.size() + " samples kept, " + settings.get("teacher") + ")";
    }
}
