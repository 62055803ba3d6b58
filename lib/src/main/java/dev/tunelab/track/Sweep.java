package dev.tunelab.track;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Grid or random search, run here, one trial after another (one CPU, or one GPU, is busy with
 * one trial at a time). The objective trains (or evaluates) with a trial's config and returns
 * its metrics; the result is a table with a row per trial and charts.
 * <pre>{@code
 * SweepResult r = Sweep.grid(SweepSpace.create().values("lr", 1e-3, 3e-3).values("rank", 4, 8))
 *         .minimize("final_eval_loss")
 *         .run(trial -> Map.of("final_eval_loss", train(trial.getDouble("lr"), trial.getInt("rank"))));
 * }</pre>
 */
public final class Sweep {
    private final SweepSpace space;
    private final int trials;
    private final long seed;
    private final boolean grid;
    private String name = "sweep";
    private String metric;
    private boolean maximize;

    private Sweep(SweepSpace space, boolean grid, int trials, long seed) {
        this.space = space;
        this.grid = grid;
        this.trials = trials;
        this.seed = seed;
    }

    /** Every combination of the space's listed values. */
    public static Sweep grid(SweepSpace space) {
        return new Sweep(space, true, 0, 0);
    }

    /** {@code trials} configs drawn at random (reproducibly, from {@code seed}). */
    public static Sweep random(SweepSpace space, int trials, long seed) {
        if (trials < 1) {
            throw new IllegalArgumentException("a random sweep needs at least one trial, got " + trials);
        }
        return new Sweep(space, false, trials, seed);
    }

    /** Names the trials' runs ({@code <name>-<index>}); default "sweep". */
    public Sweep name(String v) {
        name = v;
        return this;
    }

    /** The metric that ranks trials, lower is better. */
    public Sweep minimize(String v) {
        metric = v;
        maximize = false;
        return this;
    }

    /** The metric that ranks trials, higher is better. */
    public Sweep maximize(String v) {
        metric = v;
        maximize = true;
        return this;
    }

    /**
     * The same sweep as a W&amp;B sweep configuration, to spread it over many machines with W&amp;B's
     * own controller: save it ({@link #writeWandbConfig}), create the sweep with {@code wandb sweep
     * sweep.json}, and start {@code wandb agent <sweep id>} on each machine. The agent runs
     * {@code command} followed by the trial's parameters as {@code --name=value} arguments and sets
     * {@code WANDB_RUN_ID} and {@code WANDB_SWEEP_ID}; the program reads them with
     * {@link Trial#fromArgs} and its runs report to that sweep.
     *
     * @param command the program to run, e.g. {@code ["java", "-cp", "tunelab.jar:...", "my.Train"]};
     *                empty for a sweep whose agents run trials in-process ({@link #runWandbAgent})
     */
    public Map<String, Object> toWandbConfig(List<String> command) {
        requireMetric();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("name", name);
        config.put("method", grid ? "grid" : "random");
        config.put("metric", Map.of("name", metric, "goal", maximize ? "maximize" : "minimize"));
        config.put("parameters", space.toWandb());
        if (!grid) {
            config.put("run_cap", trials);
        }
        if (!command.isEmpty()) {
            List<String> cmd = new ArrayList<>(command);
            cmd.add("${args}");
            config.put("command", cmd);
        }
        return config;
    }

    /** Writes {@link #toWandbConfig} as JSON (which YAML readers, and so {@code wandb sweep}, accept). */
    public Path writeWandbConfig(Path file, List<String> command) {
        try {
            Files.writeString(file, new ObjectMapper()
                    .writerWithDefaultPrettyPrinter().writeValueAsString(toWandbConfig(command)));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write W&B sweep config " + file, e);
        }
    }

    /**
     * Creates this sweep on W&amp;B (in {@code settings}' entity and project) and returns its id, for
     * {@link #runWandbAgent} on each machine that should take part.
     */
    public String createWandbSweep(WandbSettings settings) {
        return new WandbSweepAgent(settings, WandbSweepAgent.DEFAULT_POLL).create(toWandbConfig(List.of()));
    }

    /**
     * Runs as an agent of W&amp;B sweep {@code sweepId}: W&amp;B's controller hands out each trial's
     * config, and each trial reports to W&amp;B under the run id the controller chose (train with
     * {@code TrainConfig.trial(trial)}, or log to {@code trial.run(dir)}). Stops when the controller
     * says the sweep is done, or after {@code count} trials on this machine ({@code count <= 0}: no
     * limit). The result holds this machine's trials; the whole sweep is on W&amp;B.
     */
    public SweepResult runWandbAgent(String sweepId, WandbSettings settings, int count, Function<Trial, Map<String, ?>> objective) {
        return runWandbAgent(sweepId, settings, count, WandbSweepAgent.DEFAULT_POLL, objective);
    }

    SweepResult runWandbAgent(String sweepId, WandbSettings settings, int count, java.time.Duration poll,
                              Function<Trial, Map<String, ?>> objective) {
        requireMetric();
        var outcomes = new WandbSweepAgent(settings, poll).run(sweepId, name, count, objective);
        return new SweepResult(name, space.names(), metric, maximize, outcomes);
    }

    /** The configs this sweep will try, in order. */
    public List<Map<String, Object>> configs() {
        if (grid) {
            return space.grid();
        }
        Random random = new Random(seed);
        List<Map<String, Object>> configs = new ArrayList<>();
        for (int i = 0; i < trials; i++) {
            configs.add(space.sample(random));
        }
        return configs;
    }

    /**
     * Runs the objective on each config in turn. A trial that throws is recorded as failed (with its
     * message) and the sweep goes on.
     */
    public SweepResult run(Function<Trial, Map<String, ?>> objective) {
        requireMetric();
        List<SweepResult.Outcome> outcomes = new ArrayList<>();
        List<Map<String, Object>> configs = configs();
        for (int i = 0; i < configs.size(); i++) {
            Trial trial = new Trial(name, i, configs.get(i));
            try {
                Map<String, Object> metrics = Metrics.flatten(objective.apply(trial), "trial " + trial.name() + " metric");
                outcomes.add(new SweepResult.Outcome(trial, metrics, null));
            } catch (RuntimeException e) {
                outcomes.add(new SweepResult.Outcome(trial, Map.of(), e.getClass().getSimpleName() + ": " + e.getMessage()));
            }
        }
        return new SweepResult(name, space.names(), metric, maximize, outcomes);
    }

    private void requireMetric() {
        if (metric == null) {
            throw new IllegalStateException("say which metric ranks the trials: minimize(\"...\") or maximize(\"...\")");
        }
    }
}
