package dev.tunelab.peft;

import java.util.List;

/**
 * IA3 (Liu et al. 2022, "Few-shot parameter-efficient fine-tuning is better and cheaper than
 * in-context learning"): learned vectors that rescale keys, values and the MLP's intermediate
 * activations. PEFT's defaults for Llama: targets k_proj, v_proj, down_proj, of which down_proj
 * is a feed-forward module (its input, the intermediate activation, is rescaled).
 */
public record Ia3Config(List<String> targetModules, List<String> feedforwardModules, String baseModelNameOrPath)
        implements AdapterConfig {

    public Ia3Config {
        targetModules = List.copyOf(targetModules);
        feedforwardModules = List.copyOf(feedforwardModules);
        if (!targetModules.containsAll(feedforwardModules)) {
            throw new IllegalArgumentException("feedforward_modules " + feedforwardModules
                    + " must be a subset of target_modules " + targetModules);
        }
    }

    @Override
    public PeftType peftType() {
        return PeftType.IA3;
    }

    boolean targets(String path) {
        return matches(targetModules, path);
    }

    boolean feedforward(String path) {
        return matches(feedforwardModules, path);
    }

    private static boolean matches(List<String> names, String path) {
        return names.stream().anyMatch(t -> path.equals(t) || path.endsWith("." + t));
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private List<String> targetModules = List.of("k_proj", "v_proj", "down_proj");
        private List<String> feedforwardModules = List.of("down_proj");
        private String baseModelNameOrPath;

        public Builder targetModules(String... v) { targetModules = List.of(v); return this; }
        public Builder feedforwardModules(String... v) { feedforwardModules = List.of(v); return this; }
        public Builder baseModelNameOrPath(String v) { baseModelNameOrPath = v; return this; }

        public Ia3Config build() {
            return new Ia3Config(targetModules, feedforwardModules, baseModelNameOrPath);
        }
    }
}
