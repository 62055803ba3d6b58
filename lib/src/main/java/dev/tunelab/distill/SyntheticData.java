package dev.tunelab.distill;

import dev.tunelab.eval.RewardFunction;
import dev.tunelab.LanguageModel;
import dev.tunelab.display.ProgressBar;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * A synthetic data set from a teacher model: every task's prompt is sampled
 * {@code samplesPerTask} times (in batches, with the KV cache, each batch's seed drawn from the
 * config's seed), and each sample goes through the filter chain in order:
 *
 * <ol>
 *   <li>{@code finished}: the model ended the text itself (when {@link TeacherConfig#requireEos()}),
 *   <li>{@code task checks}: every verifiable check of its task ({@link TeacherTask#checks()}),
 *   <li>the chain's {@link Filter}s in the order they were added (length, near-duplicates, a judge ...),
 *   <li>{@code best of k}: with a {@link RewardFunction} ({@link Builder#bestOf}), only the highest-scoring
 *       survivor of each task is kept (rejection sampling, as in Llama 2's and ReST's best-of-k).
 * </ol>
 *
 * Without best-of-k every survivor is kept, each compared (near-duplicates) with the ones kept
 * before it. The result records every sample, the stage that stopped it, and per-stage acceptance
 * rates, and writes itself as JSONL with provenance ({@link SyntheticSet#writeJsonl}).
 *
 * <pre>{@code
 * SyntheticSet set = SyntheticData.builder(teacher, "tinystories-base")
 *         .config(TeacherConfig.defaults().batchSize(64).seed(1))
 *         .samplesPerTask(4)
 *         .filter(NgramDedup.defaults())
 *         .bestOf(reward)
 *         .build().run(tasks);
 * set.stageTable();                         // acceptance per filter
 * set.writeJsonl(Path.of("synthetic.jsonl"));
 * }</pre>
 */
public final class SyntheticData {
    public static final String FINISHED = "finished";
    public static final String TASK_CHECKS = "task checks";
    public static final String BEST_OF_K = "best of k";

    private final Teacher teacher;
    private final String teacherName;
    private final int samplesPerTask;
    private final List<Filter> filters;
    private final RewardFunction bestOf;

    private SyntheticData(Builder b) {
        this.teacher = new Teacher(b.teacher, b.config);
        this.teacherName = b.teacherName;
        this.samplesPerTask = b.samplesPerTask;
        this.filters = List.copyOf(b.filters);
        this.bestOf = b.bestOf;
    }

    public static Builder builder(LanguageModel teacher, String teacherName) {
        return new Builder(teacher, teacherName);
    }

    /** How the data set is made. */
    public static final class Builder {
        private final LanguageModel teacher;
        private final String teacherName;
        private TeacherConfig config = TeacherConfig.defaults();
        private int samplesPerTask = 1;
        private final List<Filter> filters = new ArrayList<>();
        private RewardFunction bestOf;

        private Builder(LanguageModel teacher, String teacherName) {
            this.teacher = Objects.requireNonNull(teacher, "teacher");
            this.teacherName = Objects.requireNonNull(teacherName, "teacherName");
        }

        /** Sampling settings, batch size, seed ({@link TeacherConfig#maxAttempts()} is not used: see samplesPerTask). */
        public Builder config(TeacherConfig c) { config = Objects.requireNonNull(c); return this; }
        /** Samples drawn for every task (k), all at once. */
        public Builder samplesPerTask(int k) {
            if (k < 1) throw new IllegalArgumentException("samplesPerTask must be >= 1, got " + k);
            samplesPerTask = k;
            return this;
        }
        /** One more stage, after the task's checks and the filters added before it. */
        public Builder filter(Filter f) { filters.add(Objects.requireNonNull(f)); return this; }
        /** Keep only each task's highest-scoring survivor (ties: the earlier sample). */
        public Builder bestOf(RewardFunction reward) { bestOf = Objects.requireNonNull(reward); return this; }

        public SyntheticData build() {
            return new SyntheticData(this);
        }
    }

    /** The stage names in the order they are applied. */
    public List<String> stages() {
        List<String> s = new ArrayList<>();
        if (teacher.config().requireEos()) s.add(FINISHED);
        s.add(TASK_CHECKS);
        filters.forEach(f -> s.add(f.name()));
        if (bestOf != null) s.add(BEST_OF_K);
        return s;
    }

    /**
     * Samples, filters and keeps; see the class comment. The filters keep their pool between runs
     * of one instance (a second run is de-duplicated against the first); build a new instance,
     * with new filters, for an independent set.
     */
    public <T extends TeacherTask> SyntheticSet<T> run(List<T> tasks) {
        TeacherConfig config = teacher.config();
        List<T> flat = new ArrayList<>(tasks.size() * samplesPerTask);
        for (T t : tasks) for (int s = 0; s < samplesPerTask; s++) flat.add(t);
        Random seeds = new Random(config.seed());
        List<Teacher.Sample> samples = new ArrayList<>(flat.size());
        var bar = ProgressBar.start("sampling " + teacherName, flat.size());
        for (int from = 0; from < flat.size(); from += config.batchSize()) {
            samples.addAll(teacher.complete(flat.subList(from, Math.min(flat.size(), from + config.batchSize())), seeds.nextLong()));
            bar.step(samples.size(), Map.of());
        }
        bar.finish();

        FilterStats stats = new FilterStats();
        List<SyntheticSet.Outcome<T>> outcomes = new ArrayList<>(flat.size());
        for (int t = 0; t < tasks.size(); t++) {
            T task = tasks.get(t);
            stats.task(task.group());
            List<SyntheticSet.Outcome<T>> ofTask = new ArrayList<>();
            for (int s = 0; s < samplesPerTask; s++) {
                Teacher.Sample sample = samples.get(t * samplesPerTask + s);
                double reward = bestOf == null ? Double.NaN : bestOf.score(sample.candidate().prompt(), sample.candidate().completion());
                var outcome = firstRejection(task, s, sample, reward);
                // Without best-of-k a survivor is kept at once, so the next sample is compared with it too.
                if (outcome.kept() && bestOf == null) keep(outcome);
                ofTask.add(outcome);
            }
            if (bestOf != null) {
                var best = ofTask.stream().filter(SyntheticSet.Outcome::kept)
                        .max((a, b) -> Double.compare(a.reward(), b.reward())).orElse(null);
                if (best != null) keep(best);
                ofTask.replaceAll(o -> o.kept() && o != best ? o.rejectedAt(BEST_OF_K, BEST_OF_K) : o);
            }
            for (var o : ofTask) {
                if (o.kept()) stats.accepted(task.group()); else stats.rejected(task.group(), o.reason());
            }
            outcomes.addAll(ofTask);
        }
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("teacher", teacherName);
        settings.put("temperature", config.sampling().temperature());
        settings.put("top_p", config.sampling().topP());
        settings.put("top_k", config.sampling().topK());
        settings.put("max_new_tokens", config.sampling().maxNewTokens());
        settings.put("batch_size", config.batchSize());
        settings.put("samples_per_task", samplesPerTask);
        settings.put("require_eos", config.requireEos());
        settings.put("prompt_after_eos", config.startAfterEos());
        settings.put("seed", config.seed());
        settings.put("stages", stages());
        return new SyntheticSet<>(settings, stages(), outcomes, stats);
    }

    /** The sample's outcome before best-of-k: the first stage that rejects it, or kept. */
    private <T extends TeacherTask> SyntheticSet.Outcome<T> firstRejection(T task, int index, Teacher.Sample sample,
            double reward) {
        var kept = new SyntheticSet.Outcome<>(task, index, sample, null, null, reward);
        if (teacher.config().requireEos() && !sample.finished()) return kept.rejectedAt(FINISHED, FilterStats.UNFINISHED);
        Check failed = Teacher.firstFailedCheck(task, sample.candidate());
        if (failed != null) return kept.rejectedAt(TASK_CHECKS, failed.kind());
        for (Filter f : filters) {
            if (!f.passes(sample.candidate())) return kept.rejectedAt(f.name(), f.name());
        }
        return kept;
    }

    private void keep(SyntheticSet.Outcome<?> o) {
        filters.forEach(f -> f.kept(o.sample().candidate()));
    }
}
