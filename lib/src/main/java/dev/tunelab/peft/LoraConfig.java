package dev.tunelab.peft;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Settings of a LoRA adapter (Hu et al. 2021), with PEFT's names and defaults:
 * {@code LoraConfig.builder().r(8).alpha(16).targetModules("q_proj", "v_proj").build()}.
 *
 * <p>Targets are chosen as PEFT chooses them: a list of names matches a module whose dotted path
 * equals a name or ends with {@code "." + name}; a pattern must match the whole path;
 * {@code all-linear} takes every linear layer of the decoder (not the LM head).
 */
public record LoraConfig(
        int r,
        double alpha,
        double dropout,
        List<String> targetModules,
        String targetPattern,
        boolean useRslora,
        String bias,
        long seed,
        String baseModelNameOrPath,
        boolean useDora,
        String initLoraWeights,
        int loftqIter) implements AdapterConfig {

    /** PEFT's shorthand for every linear layer except the output layer. */
    public static final String ALL_LINEAR = "all-linear";
    /** PEFT's default init_lora_weights (true): A Kaiming-uniform, B zero. */
    public static final String DEFAULT_INIT = "true";
    /** The bits LoftQ quantizes to: NF4 (PEFT also offers 8, which tunelab does not). */
    public static final int LOFTQ_BITS = 4;

    public LoraConfig {
        if (r <= 0) {
            throw new IllegalArgumentException("LoRA rank r must be positive, was " + r);
        }
        if (dropout < 0 || dropout >= 1) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), was " + dropout);
        }
        if (!"none".equals(bias)) {
            throw new IllegalArgumentException("LoRA bias '" + bias + "' is not supported; only \"none\" (biases stay frozen)");
        }
        if ((targetModules == null) == (targetPattern == null)) {
            throw new IllegalArgumentException("LoRA needs target modules: a list of names or one pattern");
        }
        targetModules = targetModules == null ? null : List.copyOf(targetModules);
        initLoraWeights = initLoraWeights == null ? DEFAULT_INIT : initLoraWeights;
        LoraInit.check(initLoraWeights);
        if (initLoraWeights.equals(LoraInit.LOFTQ) != (loftqIter > 0)) {
            throw new IllegalArgumentException("LoftQ needs init_lora_weights \"loftq\" and loftq_iter >= 1 together, got init_lora_weights "
                    + initLoraWeights + " and loftq_iter " + loftqIter);
        }
    }

    @Override
    public PeftType peftType() {
        return PeftType.LORA;
    }

    /** The factor on B A x: alpha / r, or alpha / sqrt(r) for rsLoRA (Kalajdzievski 2023). */
    public double scaling() {
        return useRslora ? alpha / Math.sqrt(r) : alpha / r;
    }

    public boolean allLinear() {
        return targetModules != null && targetModules.size() == 1 && targetModules.get(0).equals(ALL_LINEAR);
    }

    /** Whether the module at {@code path} is a target (for names, as PEFT's check_target_module_exists). */
    public boolean targets(String path) {
        if (targetPattern != null) {
            return Pattern.compile(targetPattern).matcher(path).matches();
        }
        if (allLinear()) {
            return !path.equals("lm_head");
        }
        return targetModules.stream().anyMatch(t -> path.equals(t) || path.endsWith("." + t));
    }

    /** The same settings with explicit target names (what all-linear resolved to). */
    LoraConfig withTargets(List<String> names) {
        return new LoraConfig(r, alpha, dropout, names, null, useRslora, bias, seed, baseModelNameOrPath, useDora,
                initLoraWeights, loftqIter);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder().r(r).alpha(alpha).dropout(dropout).useRslora(useRslora).seed(seed)
                .baseModelNameOrPath(baseModelNameOrPath).useDora(useDora).initLoraWeights(initLoraWeights);
        b.loftqIter = loftqIter;
        b.targetModules = targetModules;
        b.targetPattern = targetPattern;
        return b;
    }

    @Override
    public String toString() {
        return "LoraConfig(r=" + r + ", alpha=" + alpha + ", scaling=" + scaling() + ", dropout=" + dropout
                + ", targets=" + (targetPattern != null ? "/" + targetPattern + "/" : targetModules)
                + (useRslora ? ", rsLoRA" : "") + (useDora ? ", DoRA" : "")
                + (initLoraWeights.equals(DEFAULT_INIT) ? "" : ", init=" + initLoraWeights)
                + (loftqIter > 0 ? ", loftq_iter=" + loftqIter : "") + ")";
    }

    /** Defaults are PEFT's: r 8, alpha 8, no dropout, bias "none"; targets default to q_proj and v_proj. */
    public static final class Builder {
        private int r = 8;
        private double alpha = 8;
        private double dropout = 0;
        private List<String> targetModules = List.of("q_proj", "v_proj");
        private String targetPattern;
        private boolean useRslora;
        private String bias = "none";
        private long seed = 0;
        private String baseModelNameOrPath;
        private boolean useDora;
        private String initLoraWeights = DEFAULT_INIT;
        private int loftqIter;

        public Builder r(int v) { r = v; return this; }
        public Builder alpha(double v) { alpha = v; return this; }
        public Builder dropout(double v) { dropout = v; return this; }
        /** Module names such as {@code q_proj}, or {@link #ALL_LINEAR}. */
        public Builder targetModules(String... names) { targetModules = List.of(names); targetPattern = null; return this; }
        public Builder targetModules(List<String> names) { targetModules = List.copyOf(names); targetPattern = null; return this; }
        /** A regular expression that must match a module's whole dotted path. */
        public Builder targetPattern(String regex) { targetPattern = regex; targetModules = null; return this; }
        public Builder allLinear() { return targetModules(ALL_LINEAR); }
        public Builder useRslora(boolean v) { useRslora = v; return this; }
        public Builder bias(String v) { bias = v; return this; }
        /** Seed of the Kaiming-uniform draw of A. */
        public Builder seed(long v) { seed = v; return this; }
        public Builder baseModelNameOrPath(String v) { baseModelNameOrPath = v; return this; }
        /** DoRA (Liu et al. 2024): a trained magnitude per output row times the direction of W + scaling B A. */
        public Builder useDora(boolean v) { useDora = v; return this; }
        /**
         * PEFT's init_lora_weights: "true" (default), "pissa", "pissa_niter_N", "olora", "loftq"
         * (use {@link #loftq(int)}); see {@link LoraInit}. The last three rewrite the base weight, so with
         * adapters disabled (a DPO/PPO reference) the model is the residual, not the original, as in PEFT.
         */
        public Builder initLoraWeights(String v) { initLoraWeights = v; loftqIter = 0; return this; }
        /** PiSSA (Meng et al. 2024): A and B from the top-r SVD of W, the rest stays in the base. */
        public Builder pissa() { return initLoraWeights(LoraInit.PISSA); }
        /** PiSSA with torch.svd_lowrank's randomized SVD of {@code niter} subspace iterations (for large layers). */
        public Builder pissa(int niter) { return initLoraWeights(LoraInit.PISSA + LoraInit.NITER + niter); }
        /** OLoRA (Büyükakyüz 2024): A and B from the QR decomposition of W, the rest stays in the base. */
        public Builder olora() { return initLoraWeights(LoraInit.OLORA); }
        /**
         * LoftQ (Li et al. 2023) for QLoRA: the base is quantized to NF4 and A, B fit the quantization
         * error, alternating {@code iterations} times (PEFT's loftq_config loftq_bits 4, loftq_iter).
         */
        public Builder loftq(int iterations) { initLoraWeights = LoraInit.LOFTQ; loftqIter = iterations; return this; }

        public LoraConfig build() {
            return new LoraConfig(r, alpha, dropout, targetModules, targetPattern, useRslora, bias, seed, baseModelNameOrPath,
                    useDora, initLoraWeights, loftqIter);
        }
    }
}
