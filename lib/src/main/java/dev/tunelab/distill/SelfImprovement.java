package dev.tunelab.distill;

import dev.tunelab.LanguageModel;
import dev.tunelab.display.Charts;
import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Numbers;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import dev.tunelab.train.BatchSource;
import dev.tunelab.train.TrainConfig;
import dev.tunelab.train.TrainResult;
import dev.tunelab.train.Trainer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import org.knowm.xchart.XYChart;
import tech.tablesaw.api.Table;

/**
 * Self-improvement with a verifiable check (expert iteration; STaR, Zelikman et al. 2022; ReST-EM,
 * Singh et al. 2024): in each round the model samples k answers per task ({@link SyntheticData}
 * with the model as its own teacher), the task's checks (and a near-duplicate filter) keep the
 * good ones, and the model is fine-tuned on them ({@link Trainer#fit}); the metric is measured
 * before the first round and after every round.
 *
 * <pre>{@code
 * var result = SelfImprovement.builder(model, tasks, set -> batchesOf(set))
 *         .rounds(2).samplesPerTask(2).sampling(TeacherConfig.defaults())
 *         .train(new TrainConfig().steps(40)).metric(lm -> passRate(lm)).build().run();
 * result;   // metric per round: table and chart
 * }</pre>
 */
public final class SelfImprovement<T extends TeacherTask> {
    /** Rounds shown in a notebook. */
    static final int MAX_ROWS = 40;

    private final LanguageModel model;
    private final List<T> tasks;
    private final Function<SyntheticSet<T>, BatchSource> trainingData;
    private final int rounds;
    private final int samplesPerTask;
    private final TeacherConfig sampling;
    private final TrainConfig train;
    private final String runName;
    private final BatchSource eval;
    private final ToDoubleFunction<LanguageModel> metric;

    private SelfImprovement(Builder<T> b) {
        this.model = b.model;
        this.tasks = List.copyOf(b.tasks);
        this.trainingData = b.trainingData;
        this.rounds = b.rounds;
        this.samplesPerTask = b.samplesPerTask;
        this.sampling = b.sampling;
        this.train = b.train;
        this.runName = b.train.runName();
        this.eval = b.eval;
        this.metric = Objects.requireNonNull(b.metric, "metric");
    }

    /**
     * @param trainingData the batches one round trains on, from what the round kept (add gold data here if wanted)
     */
    public static <T extends TeacherTask> Builder<T> builder(LanguageModel model, List<T> tasks,
            Function<SyntheticSet<T>, BatchSource> trainingData) {
        return new Builder<>(model, tasks, trainingData);
    }

    public static final class Builder<T extends TeacherTask> {
        private final LanguageModel model;
        private final List<T> tasks;
        private final Function<SyntheticSet<T>, BatchSource> trainingData;
        private int rounds = 2;
        private int samplesPerTask = 2;
        private TeacherConfig sampling = TeacherConfig.defaults();
        private TrainConfig train = new TrainConfig();
        private BatchSource eval;
        private ToDoubleFunction<LanguageModel> metric;

        private Builder(LanguageModel model, List<T> tasks, Function<SyntheticSet<T>, BatchSource> trainingData) {
            this.model = Objects.requireNonNull(model);
            this.tasks = Objects.requireNonNull(tasks);
            this.trainingData = Objects.requireNonNull(trainingData);
        }

        public Builder<T> rounds(int v) {
            if (v < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + v);
            rounds = v;
            return this;
        }
        public Builder<T> samplesPerTask(int v) { samplesPerTask = v; return this; }
        /** Sampling settings; round r samples with seed + r. Default: the teacher's, BOS first (an SFT prompt). */
        public Builder<T> sampling(TeacherConfig v) { sampling = Objects.requireNonNull(v); return this; }
        /** Fine-tuning settings of every round; the run is named runName-round-r. */
        public Builder<T> train(TrainConfig v) { train = Objects.requireNonNull(v); return this; }
        /** Held-out batches each round's fine-tuning evaluates on (its TrainConfig's evalEvery); none by default. */
        public Builder<T> eval(BatchSource v) { eval = v; return this; }
        /** The score measured before round 1 and after each round (higher is better). */
        public Builder<T> metric(ToDoubleFunction<LanguageModel> v) { metric = v; return this; }

        public SelfImprovement<T> build() {
            return new SelfImprovement<>(this);
        }
    }

    /** One round: samples drawn, samples kept, the metric after it, its fine-tuning (null for round 0). */
    public record Round(int round, int samples, int kept, double metric, TrainResult training) {}

    /** The rounds (round 0 is the model before any), rendered as a table and a metric-per-round chart. */
    public record Result(List<Round> rounds) implements Renderable {
        public Table table() {
            IntColumn round = IntColumn.create("round");
            IntColumn samples = IntColumn.create("samples");
            IntColumn kept = IntColumn.create("kept");
            DoubleColumn rate = DoubleColumn.create("acceptance");
            DoubleColumn metric = DoubleColumn.create("metric");
            DoubleColumn evalLoss = DoubleColumn.create("held-out loss (nats/token)");
            for (Round r : rounds) {
                round.append(r.round());
                samples.append(r.samples());
                kept.append(r.kept());
                rate.append(r.samples() == 0 ? Double.NaN : (double) r.kept() / r.samples());
                metric.append(r.metric());
                evalLoss.append(r.training() == null ? Double.NaN : r.training().finalEvalLoss());
            }
            return Table.create("self-improvement: metric per round", round, samples, kept, rate, metric, evalLoss);
        }

        /**
         * The metric against the round; the held-out loss of each round's fine-tuning, when there
         * is one, on a right-hand axis (a loss and a score do not share a scale).
         */
        public XYChart chart() {
            List<Double> xs = rounds.stream().map(r -> (double) r.round()).toList();
            var metric = List.of(Charts.Series.of("metric", xs, rounds.stream().map(Round::metric).toList()));
            var loss = Charts.Series.of("held-out loss", xs, rounds.stream()
                    .map(r -> r.training() == null ? Double.NaN : r.training().finalEvalLoss()).toList());
            Charts.Axis x = Charts.Axis.of("round");
            Charts.Axis y = Charts.Axis.of("metric");
            return loss.isEmpty() ? Charts.lines("Metric per self-improvement round", x, y, metric)
                    : Charts.lines("Metric and held-out loss per self-improvement round", x, y, metric,
                            Charts.Axis.of("held-out loss", "nats/token"), List.of(loss));
        }

        @Override
        public Map<String, String> mimeBundle() {
            Map<String, String> m = new LinkedHashMap<>(Tables.mimeBundle(table(), MAX_ROWS));
            String png = Charts.pngBase64(chart());
            // a notebook shows the HTML of a bundle that has it: the chart goes in there too
            m.put(MimeBundles.HTML, m.get(MimeBundles.HTML) + "<img src=\"data:image/png;base64," + png + "\"/>");
            m.put(MimeBundles.PNG, png);
            return m;
        }

        @Override
        public String toString() {
            if (rounds.isEmpty()) return "self-improvement: no rounds";
            Round last = rounds.get(rounds.size() - 1);
            return "self-improvement: metric " + Numbers.format(rounds.get(0).metric()) + " before, "
                    + Numbers.format(last.metric()) + " after " + last.round() + (last.round() == 1 ? " round" : " rounds");
        }
    }

    public Result run() {
        List<Round> out = new ArrayList<>();
        out.add(new Round(0, 0, 0, metric.applyAsDouble(model), null));
        for (int r = 1; r <= rounds; r++) {
            SyntheticSet<T> set = SyntheticData.builder(model, "self, round " + r)
                    .config(sampling.seed(sampling.seed() + r)).samplesPerTask(samplesPerTask)
                    .filter(NgramDedup.defaults()).build().run(tasks);
            TrainResult trained = set.kept().isEmpty() ? null
                    : Trainer.fit(model.model(), trainingData.apply(set), eval, train.runName(runName + "-round-" + r));
            out.add(new Round(r, set.outcomes().size(), set.kept().size(), metric.applyAsDouble(model), trained));
        }
        return new Result(out);
    }
}
