package dev.tunelab.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything a training run needs to know, with defaults that work for the tiny models.
 * Chain the setters: {@code new TrainConfig().steps(200).learningRate(3e-3).warmup(20)}.
 */
public final class TrainConfig {
    int steps = 100;
    double learningRate = 1e-3;
    LrSchedule.Kind schedule = LrSchedule.Kind.COSINE;
    int warmup = 0;
    double minLrRatio = 0.1;
    double weightDecay = 0.0;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    int gradAccumulation = 1;
    double clipNorm = 1.0;
    int evalEvery = 0;
    int evalBatches = 4;
    int logEvery = 10;
    int checkpointEvery = 0;
    int keepCheckpoints = 2;
    long seed = 42;
    Path checkpointDir;
    Path runsDir = Path.of("runs");
    String runName = "train";
    final java.util.List<dev.tunelab.track.RunSink> sinks = new java.util.ArrayList<>();
    dev.tunelab.track.WandbSettings wandb; // null: from the environment (WANDB_API_KEY, WANDB_MODE, ...)
    /** The user's own entries for the run's config (model choices, adapter settings, a sweep's trial). */
    final Map<String, Object> extraConfig = new LinkedHashMap<>();
    boolean resume = true;
    boolean progress = true;
    int stopAfter = -1;

    public TrainConfig steps(int v) { steps = v; return this; }
    public TrainConfig learningRate(double v) { learningRate = v; return this; }
    public TrainConfig schedule(LrSchedule.Kind v) { schedule = v; return this; }
    public TrainConfig warmup(int v) { warmup = v; return this; }
    public TrainConfig minLrRatio(double v) { minLrRatio = v; return this; }
    public TrainConfig weightDecay(double v) { weightDecay = v; return this; }
    public TrainConfig betas(double b1, double b2) { beta1 = b1; beta2 = b2; return this; }
    public TrainConfig eps(double v) { eps = v; return this; }
    /** Micro-batches per optimizer step; the loss is averaged over them. */
    public TrainConfig gradAccumulation(int v) { gradAccumulation = v; return this; }
    /** Global gradient-norm clip; 0 turns clipping off. */
    public TrainConfig clipNorm(double v) { clipNorm = v; return this; }
    public TrainConfig evalEvery(int v) { evalEvery = v; return this; }
    public TrainConfig evalBatches(int v) { evalBatches = v; return this; }
    public TrainConfig logEvery(int v) { logEvery = v; return this; }
    /** Save a checkpoint every N steps into {@link #checkpointDir(Path)} (0: only at the end). */
    public TrainConfig checkpointEvery(int v) { checkpointEvery = v; return this; }
    public TrainConfig keepCheckpoints(int v) { keepCheckpoints = v; return this; }
    public TrainConfig seed(long v) { seed = v; return this; }
    /** Where checkpoints go; null (the default) saves none. */
    public TrainConfig checkpointDir(Path v) { checkpointDir = v; return this; }
    /** Where run records go ({@code runs/<id>/}); null records nothing. */
    public TrainConfig runsDir(Path v) { runsDir = v; return this; }
    public TrainConfig runName(String v) { runName = v; return this; }
    /** One more place the run record is sent (besides runs/ and, when the environment asks, W&amp;B). */
    public TrainConfig sink(dev.tunelab.track.RunSink v) { sinks.add(v); return this; }
    /** W&amp;B settings instead of the environment's ({@code WandbSettings.disabled()} turns it off). */
    public TrainConfig wandb(dev.tunelab.track.WandbSettings v) { wandb = v; return this; }
    /**
     * Records one more entry in the run's config (W&amp;B's too), next to the trainer's own: e.g.
     * {@code .config("lora", Map.of("rank", 8, "alpha", 16))}. Nested maps are flattened with '.'
     * in the run table ({@code lora.rank}). The trainer's keys (train, model, ...) cannot be replaced.
     */
    public TrainConfig config(String key, Object value) {
        if (RESERVED.contains(key)) {
            throw new IllegalArgumentException("config key '" + key + "' is the trainer's own; use another name");
        }
        extraConfig.put(key, value);
        return this;
    }

    /** {@link #config(String, Object)} for each entry. */
    public TrainConfig config(Map<String, ?> entries) {
        entries.forEach(this::config);
        return this;
    }

    /**
     * Trains as one trial of a sweep: the run is named after the trial, its config records the
     * trial's parameters with {@code sweep} and {@code trial}, and a trial handed out by a W&amp;B
     * sweep agent reports to W&amp;B under the run id and sweep the controller chose.
     */
    public TrainConfig trial(dev.tunelab.track.Trial t) {
        runName = t.name();
        config(t.config());
        config("sweep", t.sweep());
        config("trial", t.index());
        if (t.wandb() != null) {
            wandb = t.wandb();
        }
        return this;
    }

    /** Continue from the newest complete checkpoint in checkpointDir, if there is one (default true). */
    public TrainConfig resume(boolean v) { resume = v; return this; }
    public TrainConfig progress(boolean v) { progress = v; return this; }
    /** Stop after this step as if interrupted (to demonstrate resuming); -1 runs to the end. */
    public TrainConfig stopAfter(int v) { stopAfter = v; return this; }

    static final java.util.Set<String> RESERVED =
            java.util.Set.of("train", "model", "trainable_parameters", "total_parameters", "data_fingerprint");

    public int steps() { return steps; }
    public long seed() { return seed; }
    // Read by training loops outside this package (distillation's, dev.tunelab.distill.Distiller).
    public double beta1() { return beta1; }
    public double beta2() { return beta2; }
    public double eps() { return eps; }
    public double weightDecay() { return weightDecay; }
    public double clipNorm() { return clipNorm; }
    public int evalEvery() { return evalEvery; }
    public int evalBatches() { return evalBatches; }
    public int logEvery() { return logEvery; }
    public Path runsDir() { return runsDir; }
    public String runName() { return runName; }
    public boolean progress() { return progress; }

    public LrSchedule lrSchedule() {
        return new LrSchedule(schedule, learningRate, warmup, steps, minLrRatio);
    }

    /** The settings as a flat map, recorded in the run's config.json. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", steps);
        m.put("learning_rate", learningRate);
        m.put("lr_schedule", schedule.name().toLowerCase());
        m.put("warmup_steps", warmup);
        m.put("min_lr_ratio", minLrRatio);
        m.put("weight_decay", weightDecay);
        m.put("adam_beta1", beta1);
        m.put("adam_beta2", beta2);
        m.put("adam_epsilon", eps);
        m.put("gradient_accumulation_steps", gradAccumulation);
        m.put("max_grad_norm", clipNorm);
        m.put("eval_every", evalEvery);
        m.put("eval_batches", evalBatches);
        m.put("checkpoint_every", checkpointEvery);
        m.put("seed", seed);
        return m;
    }
}
