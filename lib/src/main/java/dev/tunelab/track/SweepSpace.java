package dev.tunelab.track;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The configs a sweep may try: each parameter is a list of values (grid or random choice) or a
 * distribution (random search only): uniform, log-uniform (learning rates), integer uniform.
 * {@code SweepSpace.create().values("rank", 4, 8, 16).logUniform("lr", 1e-4, 1e-2)}.
 */
public final class SweepSpace {
    private sealed interface Param permits Values, Uniform, LogUniform, IntUniform {
        Object draw(Random random);

        /** The parameter in a W&amp;B sweep configuration's {@code parameters} section. */
        Map<String, Object> wandb();
    }

    private record Values(List<Object> values) implements Param {
        public Object draw(Random random) {
            return values.get(random.nextInt(values.size()));
        }

        public Map<String, Object> wandb() {
            return Map.of("values", values);
        }
    }

    private record Uniform(double min, double max) implements Param {
        public Object draw(Random random) {
            return min + (max - min) * random.nextDouble();
        }

        public Map<String, Object> wandb() {
            return Map.of("distribution", "uniform", "min", min, "max", max);
        }
    }

    /** exp of a uniform draw between the logs of the bounds. */
    private record LogUniform(double min, double max) implements Param {
        public Object draw(Random random) {
            return Math.exp(Math.log(min) + (Math.log(max) - Math.log(min)) * random.nextDouble());
        }

        public Map<String, Object> wandb() {
            // log_uniform_values takes the bounds themselves (plain log_uniform takes their logs)
            return Map.of("distribution", "log_uniform_values", "min", min, "max", max);
        }
    }

    private record IntUniform(int min, int max) implements Param {
        public Object draw(Random random) {
            return min + random.nextInt(max - min + 1);
        }

        public Map<String, Object> wandb() {
            return Map.of("distribution", "int_uniform", "min", min, "max", max);
        }
    }

    private final Map<String, Param> params = new LinkedHashMap<>();

    private SweepSpace() {}

    public static SweepSpace create() {
        return new SweepSpace();
    }

    /** A parameter taking one of these values. */
    public SweepSpace values(String name, Object... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("sweep parameter '" + name + "' needs at least one value");
        }
        return put(name, new Values(List.of(values)));
    }

    /** Uniform on [min, max). */
    public SweepSpace uniform(String name, double min, double max) {
        return put(name, new Uniform(min, checkRange(name, min, max)));
    }

    /** Log-uniform on [min, max): every decade equally likely, the usual prior for learning rates. */
    public SweepSpace logUniform(String name, double min, double max) {
        if (!(min > 0)) {
            throw new IllegalArgumentException("log-uniform parameter '" + name + "' needs min > 0, got " + min);
        }
        return put(name, new LogUniform(min, checkRange(name, min, max)));
    }

    /** A whole number from min to max, both included. */
    public SweepSpace intUniform(String name, int min, int max) {
        checkRange(name, min, max);
        return put(name, new IntUniform(min, max));
    }

    public List<String> names() {
        return List.copyOf(params.keySet());
    }

    /** Every combination of the listed values, the last parameter changing fastest. */
    public List<Map<String, Object>> grid() {
        List<Map<String, Object>> configs = new ArrayList<>();
        configs.add(new LinkedHashMap<>());
        for (Map.Entry<String, Param> p : params.entrySet()) {
            if (!(p.getValue() instanceof Values v)) {
                throw new IllegalStateException("grid search needs listed values; parameter '" + p.getKey()
                        + "' is a distribution (use random search, or values(...))");
            }
            List<Map<String, Object>> next = new ArrayList<>();
            for (Map<String, Object> c : configs) {
                for (Object value : v.values()) {
                    Map<String, Object> m = new LinkedHashMap<>(c);
                    m.put(p.getKey(), value);
                    next.add(m);
                }
            }
            configs = next;
        }
        return configs;
    }

    /** The {@code parameters} section of a W&amp;B sweep configuration for this space. */
    public Map<String, Object> toWandb() {
        Map<String, Object> out = new LinkedHashMap<>();
        params.forEach((name, p) -> out.put(name, p.wandb()));
        return out;
    }

    /** One random config. */
    public Map<String, Object> sample(Random random) {
        Map<String, Object> config = new LinkedHashMap<>();
        params.forEach((name, p) -> config.put(name, p.draw(random)));
        return config;
    }

    private SweepSpace put(String name, Param p) {
        if (params.putIfAbsent(name, p) != null) {
            throw new IllegalArgumentException("sweep parameter '" + name + "' is defined twice");
        }
        return this;
    }

    private static double checkRange(String name, double min, double max) {
        if (!(min < max) && !(min == max && min == Math.rint(min))) {
            throw new IllegalArgumentException("sweep parameter '" + name + "' needs min < max, got [" + min + ", " + max + "]");
        }
        return max;
    }
}
