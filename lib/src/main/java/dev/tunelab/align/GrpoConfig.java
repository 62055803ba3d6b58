package dev.tunelab.align;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Settings of a GRPO run with TRL's names where it has them (GRPOConfig), defaults sized for the
 * tiny models: {@code new GrpoConfig().steps(30).promptsPerStep(4).groupSize(8).beta(0.04)}.
 */
public final class GrpoConfig {
    int steps = 20;
    int promptsPerStep = 4;
    int groupSize = 8;
    int iterations = 1;
    int miniBatchSize = 32;
    int maxNewTokens = 32;
    boolean stopAtEos = true;
    double learningRate = 1e-3;
    double clipNorm = 1.0;
    double clipRange = 0.2;
    double beta = 0.04;
    long seed = 42;
    Path runsDir = Path.of("runs");
    String runName = "grpo";
    boolean progress = true;

    /** Generation batches; each is sampled, scored, then optimised over. */
    public GrpoConfig steps(int v) { steps = Settings.positive(v, "steps"); return this; }
    /** Distinct prompts per step; each is sampled groupSize times. */
    public GrpoConfig promptsPerStep(int v) { promptsPerStep = Settings.positive(v, "promptsPerStep"); return this; }
    /** Completions per prompt, G in the paper (TRL: num_generations). */
    public GrpoConfig groupSize(int v) {
        if (v < 2) {
            throw new IllegalArgumentException(
                    "groupSize must be at least 2 (advantages are relative to the group), got " + v);
        }
        groupSize = v;
        return this;
    }
    /** Passes over each generation batch, mu in the paper (TRL: num_iterations, 1). */
    public GrpoConfig iterations(int v) { iterations = Settings.positive(v, "iterations"); return this; }
    /** Completions per AdamW step. */
    public GrpoConfig miniBatchSize(int v) { miniBatchSize = Settings.positive(v, "miniBatchSize"); return this; }
    public GrpoConfig maxNewTokens(int v) { maxNewTokens = Settings.positive(v, "maxNewTokens"); return this; }
    /**
     * Whether a completion ends at the policy's EOS (default) or always has maxNewTokens tokens, as
     * Ziegler et al. 2019 sample them (then the length cannot be used to game a learned reward).
     */
    public GrpoConfig stopAtEos(boolean v) { stopAtEos = v; return this; }
    public GrpoConfig learningRate(double v) { learningRate = v; return this; }
    public GrpoConfig clipNorm(double v) { clipNorm = v; return this; }
    /** epsilon of the clipped ratio (TRL: epsilon, 0.2). */
    public GrpoConfig clipRange(double v) { clipRange = v; return this; }
    /** Weight of the k3 KL term to the reference (TRL: beta, 0.04; 0 drops the reference). */
    public GrpoConfig beta(double v) { beta = v; return this; }
    public GrpoConfig seed(long v) { seed = v; return this; }
    /** Where the run record goes ({@code runs/<id>/}); null records nothing on disk. */
    public GrpoConfig runsDir(Path v) { runsDir = v; return this; }
    public GrpoConfig runName(String v) { runName = v; return this; }
    public GrpoConfig progress(boolean v) { progress = v; return this; }

    public int steps() { return steps; }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", steps);
        m.put("prompts_per_step", promptsPerStep);
        m.put("num_generations", groupSize);
        m.put("num_iterations", iterations);
        m.put("mini_batch_size", miniBatchSize);
        m.put("max_completion_length", maxNewTokens);
        m.put("stop_at_eos", stopAtEos);
        m.put("learning_rate", learningRate);
        m.put("max_grad_norm", clipNorm);
        m.put("epsilon", clipRange);
        m.put("beta", beta);
        m.put("seed", seed);
        return m;
    }
}
