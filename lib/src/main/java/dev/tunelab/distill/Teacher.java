package dev.tunelab.distill;

import dev.tunelab.LanguageModel;
import dev.tunelab.display.ProgressBar;
import dev.tunelab.generate.Generation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Teacher generation with a verifiable filter, the first half of sequence-level distillation:
 * the teacher model continues each task's prompt, a continuation is kept only when it passes
 * every one of the task's checks and repeats no kept text, and a task whose sample failed is
 * tried again (new samples) up to {@link TeacherConfig#maxAttempts()} times. Every batch's
 * sampling seed is drawn from the config's seed, so a run is reproducible.
 *
 * <pre>{@code
 * var result = new Teacher(lm, TeacherConfig.defaults().seed(1)).run(tasks);
 * result.stats();   // acceptance per task group, rejections by reason
 * }</pre>
 */
public final class Teacher {
    private final LanguageModel teacher;
    private final TeacherConfig config;

    public Teacher(LanguageModel teacher, TeacherConfig config) {
        this.teacher = teacher;
        this.config = config;
    }

    /** A kept continuation, with the try (1-based) that produced it. */
    public record Accepted<T extends TeacherTask>(T task, Candidate candidate, int attempt) {}

    /** A thrown-away continuation and the first check it failed (or unfinished, duplicate). */
    public record Rejected<T extends TeacherTask>(T task, Candidate candidate, int attempt, String reason) {}

    /**
     * The kept continuations in task order (at most one per task), the thrown-away ones in the
     * order they were drawn (to see what the filter does), and the counts behind them.
     */
    public record Result<T extends TeacherTask>(List<Accepted<T>> accepted, List<Rejected<T>> rejected, FilterStats stats) {}

    public <T extends TeacherTask> Result<T> run(List<T> tasks) {
        FilterStats stats = new FilterStats();
        tasks.forEach(t -> stats.task(t.group()));
        Random seeds = new Random(config.seed());
        Set<String> kept = new HashSet<>();
        List<Rejected<T>> rejected = new ArrayList<>();
        @SuppressWarnings("unchecked")
        Accepted<T>[] byTask = new Accepted[tasks.size()];

        List<Integer> pending = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) pending.add(i);
        for (int attempt = 1; attempt <= config.maxAttempts() && !pending.isEmpty(); attempt++) {
            var bar = ProgressBar.start("teacher, try " + attempt + " of " + config.maxAttempts(), pending.size());
            int done = 0;
            int acceptedThisTry = 0;
            for (int from = 0; from < pending.size(); from += config.batchSize()) {
                List<Integer> batch = pending.subList(from, Math.min(pending.size(), from + config.batchSize()));
                List<Sample> out = complete(batch.stream().map(tasks::get).toList(), seeds.nextLong());
                for (int k = 0; k < batch.size(); k++) {
                    T task = tasks.get(batch.get(k));
                    Candidate c = out.get(k).candidate();
                    String reason = config.requireEos() && !out.get(k).finished()
                            ? FilterStats.UNFINISHED : firstFailure(task, c);
                    if (reason == null && !kept.add(normalize(c.completion()))) reason = FilterStats.DUPLICATE;
                    if (reason == null) {
                        stats.accepted(task.group());
                        byTask[batch.get(k)] = new Accepted<>(task, c, attempt);
                        acceptedThisTry++;
                    } else {
                        stats.rejected(task.group(), reason);
                        rejected.add(new Rejected<>(task, c, attempt, reason));
                    }
                }
                done += batch.size();
                bar.step(done, Map.of("accepted", acceptedThisTry));
            }
            bar.finish();
            pending.removeIf(i -> byTask[i] != null);
        }
        List<Accepted<T>> accepted = new ArrayList<>();
        for (Accepted<T> a : byTask) if (a != null) accepted.add(a);
        return new Result<>(accepted, rejected, stats);
    }

    /**
     * One continuation, whether the model ended it itself (end-of-text before the length limit),
     * and the sampling seed of its batch (its provenance).
     */
    public record Sample(Candidate candidate, boolean finished, long seed) {}

    /**
     * One continuation of each task's prompt, all in one batch (left-padded, KV cache), sampled
     * with the config's settings and {@code seed}. Callers batch: {@link #run} and
     * {@link SyntheticData} pass at most {@link TeacherConfig#batchSize()} tasks at a time.
     */
    public List<Sample> complete(List<? extends TeacherTask> tasks, long seed) {
        long eos = teacher.tokenizer().eosId().orElse(teacher.model().config().eosTokenId());
        List<long[]> prompts = tasks.stream().map(t -> encode(t.prompt(), eos)).toList();
        List<Generation> out = teacher.generator().generate(prompts, config.sampling().seed(seed));
        List<Sample> samples = new ArrayList<>(out.size());
        for (int k = 0; k < out.size(); k++) {
            samples.add(new Sample(new Candidate(tasks.get(k).prompt(), out.get(k).text()),
                    "eos".equals(out.get(k).finishReason()), seed));
        }
        return samples;
    }

    public TeacherConfig config() {
        return config;
    }

    /** The kind of the first check the candidate fails, or null when it passes them all. */
    static String firstFailure(TeacherTask task, Candidate c) {
        Check failed = firstFailedCheck(task, c);
        return failed == null ? null : failed.kind();
    }

    /** The first check the candidate fails, or null when it passes them all. */
    public static Check firstFailedCheck(TeacherTask task, Candidate c) {
        for (Check check : task.checks()) {
            if (!check.passes(c)) return check;
        }
        return null;
    }

    private long[] encode(String prompt, long eos) {
        // addBos: the tokenizer's own special tokens, as an SFT prompt starts (SftEncoder.promptIds)
        long[] ids = teacher.tokenizer().encode(prompt, config.addBos());
        if (!config.startAfterEos()) return ids;
        long[] withEos = new long[ids.length + 1];
        withEos[0] = eos;
        System.arraycopy(ids, 0, withEos, 1, ids.length);
        return withEos;
    }

    private static String normalize(String s) {
        return s.strip().replaceAll("\\s+", " ");
    }
}
