package dev.tunelab.align;

import dev.tunelab.train.LrSchedule;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of a preference-optimisation run with TRL's names where it has them (DPOConfig),
 * defaults sized for the tiny models: {@code new PreferenceConfig(DpoLoss.sigmoid(0.1)).steps(60).batchSize(8)}.
 */
public final class PreferenceConfig {
    final PreferenceMethod method;
    int steps = 50;
    int batchSize = 8;
    int referenceBatchSize = 16;
    double learningRate = 5e-3;
    LrSchedule.Kind schedule = LrSchedule.Kind.LINEAR;
    int warmup = 0;
    double weightDecay = 0.0;
    double clipNorm = 1.0;
    int logEvery = 5;
    int evalEvery = 0;
    long seed = 42;
    Path runsDir = Path.of("runs");
    String runName;
    Path checkpointDir;
    int checkpointEvery = 0;
    int keepCheckpoints = 2;
    boolean progress = true;

    public PreferenceConfig(PreferenceMethod method) {
        this.method = Objects.requireNonNull(method, "method");
        this.runName = method.label();
    }

    /** Optimizer steps. */
    public PreferenceConfig steps(int v) { steps = Settings.positive(v, "steps"); return this; }
    /** Pairs per step (TRL: per_device_train_batch_size); a step scores 2 x batchSize completions. */
    public PreferenceConfig batchSize(int v) { batchSize = Settings.positive(v, "batchSize"); return this; }
    /** Pairs per forward pass when the reference log-probabilities are computed up front. */
    public PreferenceConfig referenceBatchSize(int v) { referenceBatchSize = Settings.positive(v, "referenceBatchSize"); return this; }
    /** Peak AdamW learning rate of the adapters. */
    public PreferenceConfig learningRate(double v) { learningRate = v; return this; }
    /** Learning-rate schedule after warm-up (default linear, as TRL; it decays to 10% of the peak). */
    public PreferenceConfig schedule(LrSchedule.Kind v) { schedule = v; return this; }
    public PreferenceConfig warmup(int v) { warmup = v; return this; }
    public PreferenceConfig weightDecay(double v) { weightDecay = v; return this; }
    /** Global gradient-norm clip (TRL: max_grad_norm); 0 turns it off. */
    public PreferenceConfig clipNorm(double v) { clipNorm = v; return this; }
    public PreferenceConfig logEvery(int v) { logEvery = Settings.positive(v, "logEvery"); return this; }
    /** Held-out metrics every N steps and at the end (0: only at the end, when there is a held-out set). */
    public PreferenceConfig evalEvery(int v) { evalEvery = v; return this; }
    public PreferenceConfig seed(long v) { seed = v; return this; }
    /** Where the run record goes ({@code runs/<id>/}); null records nothing on disk. */
    public PreferenceConfig runsDir(Path v) { runsDir = v; return this; }
    public PreferenceConfig runName(String v) { runName = v; return this; }
    /** Where checkpoints go; a run finds the newest there and resumes from it. Null (default) saves none. */
    public PreferenceConfig checkpointDir(Path v) { checkpointDir = v; return this; }
    /** Save every N steps (0: only at the end). */
    public PreferenceConfig checkpointEvery(int v) { checkpointEvery = v; return this; }
    public PreferenceConfig keepCheckpoints(int v) { keepCheckpoints = Settings.positive(v, "keepCheckpoints"); return this; }
    public PreferenceConfig progress(boolean v) { progress = v; return this; }

    public PreferenceMethod method() { return method; }
    public int steps() { return steps; }
    public int batchSize() { return batchSize; }

    LrSchedule lrSchedule() {
        return new LrSchedule(schedule, learningRate, warmup, steps, 0.1);
    }

    /** The settings as recorded in the run's config.json. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method.label());
        m.put("loss", method.toString());
        m.put("steps", steps);
        m.put("batch_size", batchSize);
        m.put("learning_rate", learningRate);
        m.put("lr_schedule", schedule.name().toLowerCase());
        m.put("warmup_steps", warmup);
        m.put("weight_decay", weightDecay);
        m.put("max_grad_norm", clipNorm);
        m.put("seed", seed);
        return m;
    }

}
