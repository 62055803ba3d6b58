package dev.tunelab.train;

import dev.tunelab.track.RunSink;
import dev.tunelab.track.Trial;
import dev.tunelab.track.WandbSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The settings every trainer shares: steps, optimizer and schedule, clipping, accumulation,
 * logging, evaluation, checkpoints, the run record. Immutable: each setter returns a changed copy,
 * so {@code new TrainConfig().steps(200).learningRate(3e-3)} reads as a builder and a config handed
 * to one run cannot be changed under it by the next cell. Each technique's config (e.g.
 * {@code PreferenceConfig}) composes one of these with its own defaults; a trainer refuses, at
 * start, any setting here it cannot honour ({@link #refuse}).
 */
public final class TrainConfig {
    private int steps = 100;
    private double learningRate = 1e-3;
    private LrSchedule.Kind schedule = LrSchedule.Kind.COSINE;
    private int warmup = 0;
    private double minLrRatio = 0.1;
    private double weightDecay = 0.0;
    private double beta1 = 0.9;
    private double beta2 = 0.999;
    private double eps = 1e-8;
    private int gradAccumulation = 1;
    private double clipNorm = 1.0;
    private int evalEvery = 0;
    private int evalBatches = 4;
    private int logEvery = 10;
    private int checkpointEvery = 0;
    private int keepCheckpoints = 2;
    private long seed = 42;
    private Path checkpointDir;
    private Path runsDir = Path.of("runs");
    private String runName = "train";
    private List<RunSink> sinks = List.of();
    private WandbSettings wandb; // null: from the environment (WANDB_API_KEY, WANDB_MODE, ...)
    private Map<String, Object> extraConfig = Map.of();
    private boolean resume = true;
    private boolean progress = true;
    private int stopAfter = -1;
    private Boolean gradientCheckpointing; // null: on exactly when the base weights are stored smaller than fp32
    private double loraPlusRatio = 1; // 1: LoRA+ off
    private double neftuneAlpha = 0; // 0: NEFTune off

    /** The defaults (sized for the tiny models). */
    public TrainConfig() {}

    private TrainConfig copy() {
        TrainConfig c = new TrainConfig();
        c.steps = steps;
        c.learningRate = learningRate;
        c.schedule = schedule;
        c.warmup = warmup;
        c.minLrRatio = minLrRatio;
        c.weightDecay = weightDecay;
        c.beta1 = beta1;
        c.beta2 = beta2;
        c.eps = eps;
        c.gradAccumulation = gradAccumulation;
        c.clipNorm = clipNorm;
        c.evalEvery = evalEvery;
        c.evalBatches = evalBatches;
        c.logEvery = logEvery;
        c.checkpointEvery = checkpointEvery;
        c.keepCheckpoints = keepCheckpoints;
        c.seed = seed;
        c.checkpointDir = checkpointDir;
        c.runsDir = runsDir;
        c.runName = runName;
        c.sinks = sinks;
        c.wandb = wandb;
        c.extraConfig = extraConfig;
        c.resume = resume;
        c.progress = progress;
        c.stopAfter = stopAfter;
        c.gradientCheckpointing = gradientCheckpointing;
        c.loraPlusRatio = loraPlusRatio;
        c.neftuneAlpha = neftuneAlpha;
        return c;
    }

    /** Optimizer steps. */
    public TrainConfig steps(int v) { TrainConfig c = copy(); c.steps = atLeast(1, v, "steps"); return c; }
    /** Peak learning rate of AdamW. */
    public TrainConfig learningRate(double v) { TrainConfig c = copy(); c.learningRate = v; return c; }
    /** Decay after warm-up: COSINE (default), LINEAR, CONSTANT; both decays end at minLrRatio x peak. */
    public TrainConfig schedule(LrSchedule.Kind v) { TrainConfig c = copy(); c.schedule = Objects.requireNonNull(v); return c; }
    public TrainConfig warmup(int v) { TrainConfig c = copy(); c.warmup = atLeast(0, v, "warmup"); return c; }
    public TrainConfig minLrRatio(double v) { TrainConfig c = copy(); c.minLrRatio = v; return c; }
    /** Decoupled weight decay of matrices (AdamW). */
    public TrainConfig weightDecay(double v) { TrainConfig c = copy(); c.weightDecay = v; return c; }
    public TrainConfig betas(double b1, double b2) { TrainConfig c = copy(); c.beta1 = b1; c.beta2 = b2; return c; }
    public TrainConfig eps(double v) { TrainConfig c = copy(); c.eps = v; return c; }
    /**
     * Micro-batches per optimizer step. Their losses are weighted by the units each averages over
     * (loss tokens for language modelling, pairs for preferences), so k micro-batches of b give the
     * gradient of one batch of k x b.
     */
    public TrainConfig gradAccumulation(int v) { TrainConfig c = copy(); c.gradAccumulation = atLeast(1, v, "gradAccumulation"); return c; }
    /** Global gradient-norm clip; 0 turns clipping off. */
    public TrainConfig clipNorm(double v) { TrainConfig c = copy(); c.clipNorm = v; return c; }
    /** Held-out evaluation every N steps and at the end (0: only at the end, when there is held-out data). */
    public TrainConfig evalEvery(int v) { TrainConfig c = copy(); c.evalEvery = atLeast(0, v, "evalEvery"); return c; }
    /** Batches of the held-out source an evaluation reads (language-modelling trainers). */
    public TrainConfig evalBatches(int v) { TrainConfig c = copy(); c.evalBatches = atLeast(1, v, "evalBatches"); return c; }
    public TrainConfig logEvery(int v) { TrainConfig c = copy(); c.logEvery = atLeast(1, v, "logEvery"); return c; }
    /** Save a checkpoint every N steps into {@link #checkpointDir(Path)} (0: only at the end). */
    public TrainConfig checkpointEvery(int v) { TrainConfig c = copy(); c.checkpointEvery = atLeast(0, v, "checkpointEvery"); return c; }
    public TrainConfig keepCheckpoints(int v) { TrainConfig c = copy(); c.keepCheckpoints = atLeast(1, v, "keepCheckpoints"); return c; }
    /**
     * Recompute each decoder layer in the backward pass instead of keeping its activations
     * (about a third more compute, activations of one layer instead of all). Unset, it is on when
     * the model's base is stored in fp16 or quantized (QLoRA), where it also keeps the widened
     * weights from piling up for backward, and off otherwise.
     */
    public TrainConfig gradientCheckpointing(boolean v) { TrainConfig c = copy(); c.gradientCheckpointing = v; return c; }
    public TrainConfig seed(long v) { TrainConfig c = copy(); c.seed = v; return c; }
    /**
     * LoRA+ (Hayou, Ghosh and Yu 2024): LoRA's B matrices (and, as PEFT's create_loraplus_optimizer
     * groups them, 1-D adapter parameters such as DoRA's magnitude) train at {@code ratio} times the
     * learning rate, A at the learning rate. 1 (the default) is plain LoRA; needs a LoRA adapter.
     */
    public TrainConfig loraPlusRatio(double ratio) {
        if (!(ratio >= 1)) {
            throw new IllegalArgumentException("loraPlusRatio is eta_B / eta_A and must be at least 1 (PEFT), got " + ratio);
        }
        TrainConfig c = copy();
        c.loraPlusRatio = ratio;
        return c;
    }
    /** LoRA+ with the paper's recommended ratio, 2^4 = 16 (its section 4). */
    public TrainConfig loraPlus() { return loraPlusRatio(16); }
    /**
     * NEFTune (Jain et al. 2023): in training, uniform noise in [-1, 1] times alpha / sqrt(L d) is
     * added to the input embeddings (L the batch's sequence length, d the hidden size), as
     * transformers' neftune_post_forward_hook; never in evaluation or generation. 0 (default) is off;
     * the paper uses 5, 10 or 15.
     */
    public TrainConfig neftuneAlpha(double alpha) {
        if (!(alpha >= 0)) {
            throw new IllegalArgumentException("neftuneAlpha must be at least 0, got " + alpha);
        }
        TrainConfig c = copy();
        c.neftuneAlpha = alpha;
        return c;
    }
    /**
     * Where checkpoints go (null, the default, saves none): {@code step-N/} folders a run resumes
     * from, and {@code best/}, the weights with the lowest held-out loss, as a loadable model folder
     * or, for adapter runs, a PEFT adapter folder.
     */
    public TrainConfig checkpointDir(Path v) { TrainConfig c = copy(); c.checkpointDir = v; return c; }
    /** Where run records go ({@code runs/<id>/}); null records nothing on disk. */
    public TrainConfig runsDir(Path v) { TrainConfig c = copy(); c.runsDir = v; return c; }
    public TrainConfig runName(String v) { TrainConfig c = copy(); c.runName = Objects.requireNonNull(v); return c; }
    /** One more place the run record is sent (besides runs/ and, when the environment asks, W&amp;B). */
    public TrainConfig sink(RunSink v) {
        TrainConfig c = copy();
        List<RunSink> all = new ArrayList<>(sinks);
        all.add(Objects.requireNonNull(v));
        c.sinks = List.copyOf(all);
        return c;
    }
    /** W&amp;B settings instead of the environment's ({@code WandbSettings.disabled()} turns it off). */
    public TrainConfig wandb(WandbSettings v) { TrainConfig c = copy(); c.wandb = v; return c; }

    /**
     * Records one more entry in the run's config (W&amp;B's too), next to the trainer's own: e.g.
     * {@code .config("data", Map.of("rows", 189))}. Nested maps are flattened with '.' in the run
     * table ({@code data.rows}). The trainer's own keys ({@link #RESERVED}) cannot be replaced.
     */
    public TrainConfig config(String key, Object value) {
        if (RESERVED.contains(key)) {
            throw new IllegalArgumentException("config key '" + key + "' is the trainer's own; use another name");
        }
        TrainConfig c = copy();
        Map<String, Object> all = new LinkedHashMap<>(extraConfig);
        all.put(key, value);
        c.extraConfig = Collections.unmodifiableMap(all);
        return c;
    }

    /** {@link #config(String, Object)} for each entry. */
    public TrainConfig config(Map<String, ?> entries) {
        TrainConfig c = this;
        for (var e : entries.entrySet()) {
            c = c.config(e.getKey(), e.getValue());
        }
        return c;
    }

    /**
     * Trains as one trial of a sweep: the run is named after the trial, its config records the
     * trial's parameters with {@code sweep} and {@code trial}, and a trial handed out by a W&amp;B
     * sweep agent reports to W&amp;B under the run id and sweep the controller chose.
     */
    public TrainConfig trial(Trial t) {
        TrainConfig c = runName(t.name()).config(t.config()).config("sweep", t.sweep()).config("trial", t.index());
        return t.wandb() != null ? c.wandb(t.wandb()) : c;
    }

    /** Continue from the newest complete checkpoint in checkpointDir, if there is one (default true). */
    public TrainConfig resume(boolean v) { TrainConfig c = copy(); c.resume = v; return c; }
    /** A progress bar in the notebook (default true). */
    public TrainConfig progress(boolean v) { TrainConfig c = copy(); c.progress = v; return c; }
    /** Stop after this step as if interrupted (to demonstrate resuming); -1 runs to the end. */
    public TrainConfig stopAfter(int v) { TrainConfig c = copy(); c.stopAfter = v; return c; }

    /** Keys of the run config the trainers write themselves. */
    public static final Set<String> RESERVED = Set.of("technique", "train", "model", "adapter", "trainable_parameters",
            "total_parameters", "data_fingerprint");

    public int steps() { return steps; }
    public double learningRate() { return learningRate; }
    public int warmup() { return warmup; }
    public double weightDecay() { return weightDecay; }
    public double beta1() { return beta1; }
    public double beta2() { return beta2; }
    public double eps() { return eps; }
    public int gradAccumulation() { return gradAccumulation; }
    public double clipNorm() { return clipNorm; }
    public int evalEvery() { return evalEvery; }
    public int evalBatches() { return evalBatches; }
    public int logEvery() { return logEvery; }
    public int checkpointEvery() { return checkpointEvery; }
    public int keepCheckpoints() { return keepCheckpoints; }
    public long seed() { return seed; }
    public double loraPlusRatio() { return loraPlusRatio; }
    public double neftuneAlpha() { return neftuneAlpha; }
    public Path checkpointDir() { return checkpointDir; }
    public Path runsDir() { return runsDir; }
    public String runName() { return runName; }
    public List<RunSink> sinks() { return sinks; }
    public WandbSettings wandb() { return wandb; }
    public Map<String, Object> extraConfig() { return extraConfig; }
    public boolean resume() { return resume; }
    public boolean progress() { return progress; }
    public int stopAfter() { return stopAfter; }
    /** The checkpointing setting, or null when unset (the trainer decides from the model's storage). */
    public Boolean gradientCheckpointing() { return gradientCheckpointing; }
    /** Whether layers are checkpointed for a model whose weights are kept in {@code storage}: as set, else when it is stored smaller. */
    public boolean gradientCheckpointingFor(dev.tunelab.model.WeightStorage storage) {
        return gradientCheckpointing != null ? gradientCheckpointing : !storage.full();
    }

    public LrSchedule lrSchedule() {
        return new LrSchedule(schedule, learningRate, warmup, steps, minLrRatio);
    }

    /**
     * Fails, naming the settings, when any of {@code settings} (names as in {@link #toMap()}) differs
     * from its default: how a trainer refuses what it cannot honour instead of ignoring it.
     */
    public void refuse(String trainer, Map<String, String> settingsAndWhy) {
        Map<String, Object> mine = toMap();
        Map<String, Object> defaults = new TrainConfig().toMap();
        List<String> refused = new ArrayList<>();
        settingsAndWhy.forEach((name, why) -> {
            if (!mine.containsKey(name)) {
                throw new IllegalArgumentException("no TrainConfig setting named '" + name + "'");
            }
            if (!Objects.equals(mine.get(name), defaults.get(name))) {
                refused.add(name + "=" + mine.get(name) + " (" + why + ")");
            }
        });
        if (!refused.isEmpty()) {
            throw new IllegalArgumentException(trainer + " cannot honour " + String.join("; ", refused));
        }
    }

    /** The settings as a flat map, recorded in the run's config.json under {@code train}. */
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
        m.put("log_every", logEvery);
        m.put("checkpoint_every", checkpointEvery);
        m.put("keep_checkpoints", keepCheckpoints);
        m.put("checkpoints", checkpointDir != null);
        m.put("stop_after", stopAfter);
        m.put("gradient_checkpointing", gradientCheckpointing == null ? "auto" : gradientCheckpointing);
        m.put("seed", seed);
        m.put("loraplus_lr_ratio", loraPlusRatio);
        m.put("neftune_noise_alpha", neftuneAlpha);
        return m;
    }

    private static int atLeast(int min, int v, String name) {
        if (v < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", got " + v);
        }
        return v;
    }

    @Override
    public String toString() {
        return "TrainConfig" + toMap();
    }
}
