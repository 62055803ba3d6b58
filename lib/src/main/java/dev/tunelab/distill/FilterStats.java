package dev.tunelab.distill;

import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * What a teacher run kept and why it threw the rest away, per task group: tasks, samples drawn,
 * samples accepted, and rejections by the first check each failed ({@link #UNFINISHED} when the
 * model did not end the text itself, {@link #DUPLICATE} for a repeat of a kept text).
 */
public final class FilterStats implements Renderable {
    public static final String UNFINISHED = "unfinished";
    public static final String DUPLICATE = "duplicate";

    /** One group's counts. */
    public static final class Group {
        int tasks;
        int samples;
        int accepted;
        final Map<String, Integer> rejected = new TreeMap<>();

        public int tasks() {
            return tasks;
        }

        public int samples() {
            return samples;
        }

        public int accepted() {
            return accepted;
        }

        /** Rejections by reason, sorted by reason. */
        public Map<String, Integer> rejected() {
            return Collections.unmodifiableMap(rejected);
        }

        /** Accepted samples / samples drawn. */
        public double acceptanceRate() {
            return samples == 0 ? 0 : (double) accepted / samples;
        }
    }

    private final Map<String, Group> groups = new LinkedHashMap<>();

    void task(String group) {
        groups.computeIfAbsent(group, g -> new Group()).tasks++;
    }

    void accepted(String group) {
        Group g = groups.get(group);
        g.samples++;
        g.accepted++;
    }

    void rejected(String group, String reason) {
        Group g = groups.get(group);
        g.samples++;
        g.rejected.merge(reason, 1, Integer::sum);
    }

    /** The groups in the order their first task came. */
    public Map<String, Group> groups() {
        return Collections.unmodifiableMap(groups);
    }

    /** All groups added up. */
    public Group total() {
        Group t = new Group();
        for (Group g : groups.values()) {
            t.tasks += g.tasks;
            t.samples += g.samples;
            t.accepted += g.accepted;
            g.rejected.forEach((k, v) -> t.rejected.merge(k, v, Integer::sum));
        }
        return t;
    }

    /** One row per group and a total: tasks, samples, accepted, acceptance rate, rejections by reason. */
    public Table table() {
        Map<String, Group> rows = new LinkedHashMap<>(groups);
        rows.put("total", total());
        StringColumn name = StringColumn.create("group");
        IntColumn tasks = IntColumn.create("tasks");
        IntColumn samples = IntColumn.create("samples");
        IntColumn accepted = IntColumn.create("accepted");
        DoubleColumn rate = DoubleColumn.create("acceptance");
        StringColumn why = StringColumn.create("rejected (first failed check)");
        rows.forEach((n, g) -> {
            name.append(n);
            tasks.append(g.tasks);
            samples.append(g.samples);
            accepted.append(g.accepted);
            rate.append(g.acceptanceRate());
            why.append(g.rejected.toString());
        });
        return Table.create("teacher samples", name, tasks, samples, accepted, rate, why);
    }

    @Override
    public Map<String, String> mimeBundle() {
        return Tables.mimeBundle(table(), 40);
    }

    @Override
    public String toString() {
        Group t = total();
        return t.accepted + " of " + t.samples + " samples accepted (" + Math.round(100 * t.acceptanceRate()) + "%), "
                + t.tasks + " tasks";
    }
}
