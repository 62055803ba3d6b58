package dev.tunelab.serve;

import java.util.List;
import java.util.SplittableRandom;

/**
 * An A/B test: requests that name the test ({@code "model": "story-ab"}) go to one of its arms,
 * drawn by weight from a seeded generator, so the same seed and the same order of requests give
 * the same routing. Each arm is a served model name (the base or an adapter).
 */
public final class AbTest {
    /** One arm: a served model and its share of the traffic (weights need not sum to 1). */
    public record Arm(String model, double weight) {
        public Arm {
            if (!(weight > 0) || Double.isInfinite(weight)) {
                throw new IllegalArgumentException("arm '" + model + "': weight must be a positive number, got " + weight);
            }
        }
    }

    private final String name;
    private final List<Arm> arms;
    private final double total;
    private final SplittableRandom random;

    public AbTest(String name, List<Arm> arms, long seed) {
        if (arms.size() < 2) {
            throw new IllegalArgumentException("an A/B test needs at least two arms, got " + arms.size());
        }
        if (arms.stream().map(Arm::model).distinct().count() != arms.size()) {
            throw new IllegalArgumentException("A/B arms must name different models: " + arms);
        }
        this.name = name;
        this.arms = List.copyOf(arms);
        this.total = arms.stream().mapToDouble(Arm::weight).sum();
        this.random = new SplittableRandom(seed);
    }

    /** Two arms, A with probability {@code weightA} (in (0, 1)) and B otherwise. */
    public static AbTest of(String name, String modelA, String modelB, double weightA, long seed) {
        return new AbTest(name, List.of(new Arm(modelA, weightA), new Arm(modelB, 1 - weightA)), seed);
    }

    public String name() {
        return name;
    }

    public List<Arm> arms() {
        return arms;
    }

    /** The arm for the next request. */
    public synchronized String pick() {
        double u = random.nextDouble() * total;
        for (Arm a : arms) {
            u -= a.weight();
            if (u < 0) {
                return a.model();
            }
        }
        return arms.get(arms.size() - 1).model(); // u landed on the total by rounding
    }

    /**
     * Parses {@code NAME=MODEL:WEIGHT,MODEL:WEIGHT[,...]} (the {@code --ab} option of bin/serve),
     * e.g. {@code story-ab=sft:0.5,dpo:0.5}.
     */
    public static AbTest parse(String spec, long seed) {
        int eq = spec.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("--ab " + spec + ": expected NAME=MODEL:WEIGHT,MODEL:WEIGHT");
        }
        List<Arm> arms = new java.util.ArrayList<>();
        for (String part : spec.substring(eq + 1).split(",")) {
            int colon = part.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("--ab " + spec + ": arm '" + part + "' is not MODEL:WEIGHT");
            }
            try {
                arms.add(new Arm(part.substring(0, colon), Double.parseDouble(part.substring(colon + 1))));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--ab " + spec + ": weight of '" + part + "' is not a number");
            }
        }
        return new AbTest(spec.substring(0, eq), arms, seed);
    }

    @Override
    public String toString() {
        return "AbTest(" + name + ", " + arms + ")";
    }
}
