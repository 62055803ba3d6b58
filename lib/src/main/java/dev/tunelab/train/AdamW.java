package dev.tunelab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter 2019), as torch.optim.AdamW computes it:
 * p -= lr * wd * p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * Weight decay applies to matrices only (not to norms and biases), the usual choice for transformers.
 * Parameters may take a multiple of the learning rate ({@link #lrScale}: LoRA+'s larger rate for B),
 * as a torch parameter group with its own lr would.
 */
public final class AdamW implements AutoCloseable {
    private final Map<String, Parameter> parameters;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager manager;
    private final Map<String, NDArray> firstMoment = new LinkedHashMap<>();
    private final Map<String, NDArray> secondMoment = new LinkedHashMap<>();
    private final Map<String, Double> lrScale = new LinkedHashMap<>();
    private long steps;

    public AdamW(Map<String, Parameter> parameters, double beta1, double beta2, double eps, double weightDecay) {
        this.parameters = new LinkedHashMap<>(parameters);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        NDManager owner = parameters.values().iterator().next().data().getManager();
        this.manager = owner.newSubManager();
        parameters.forEach((name, p) -> {
            firstMoment.put(name, manager.zeros(p.data().getShape(), p.data().getDataType()));
            secondMoment.put(name, manager.zeros(p.data().getShape(), p.data().getDataType()));
        });
    }

    /** Parameter {@code name} trains at {@code factor} times the scheduled learning rate (weight decay included). */
    public AdamW lrScale(String name, double factor) {
        if (!parameters.containsKey(name)) {
            throw new IllegalArgumentException("no parameter '" + name + "' in this optimizer");
        }
        lrScale.put(name, factor);
        return this;
    }

    /** The factor on the learning rate of parameter {@code name} (1 unless set). */
    public double lrScale(String name) {
        return lrScale.getOrDefault(name, 1.0);
    }

    /**
     * One update with the accumulated gradients; parameters without a gradient are skipped. The
     * gradient is scaled in place (it is zeroed after the step) and each temporary is freed as soon
     * as it is used, so at most one parameter-sized temporary lives at a time: full fine-tuning at
     * the SmolLM2-135M shape otherwise allocated nine embedding-sized (113 MB) arrays per step. Every
     * value is computed with the same operations in the same order as before, so results are
     * unchanged to the bit.
     */
    public void step(double baseLr) {
        steps++;
        double bias1 = 1 - Math.pow(beta1, steps);
        double bias2 = 1 - Math.pow(beta2, steps);
        Autograd.noGrad(() -> {
            for (var e : parameters.entrySet()) {
                try (NDManager scratch = manager.newSubManager()) {
                    NDArray g = e.getValue().gradient(scratch);
                    if (g == null) {
                        continue;
                    }
                    NDArray p = e.getValue().data();
                    double lr = baseLr * lrScale(e.getKey());
                    NDArray m = firstMoment.get(e.getKey());
                    NDArray v = secondMoment.get(e.getKey());
                    if (weightDecay != 0 && p.getShape().dimension() >= 2) {
                        try (NDArray decay = p.mul(lr * weightDecay)) {
                            p.subi(decay); // decoupled: not part of the gradient
                        }
                    }
                    try (NDArray gSquared = g.square()) {
                        v.muli(beta2).addi(gSquared.muli(1 - beta2));
                    }
                    m.muli(beta1).addi(g.muli(1 - beta1));
                    try (NDArray denom = v.sqrt(); NDArray ratio = m.div(denom.divi(Math.sqrt(bias2)).addi(eps))) {
                        p.subi(ratio.muli(lr / bias1));
                    }
                }
            }
        });
    }

    public void zeroGrad() {
        parameters.values().forEach(Parameter::zeroGradient);
    }

    public long steps() {
        return steps;
    }

    /** Moments as named tensors ({@code exp_avg.<param>}, {@code exp_avg_sq.<param>}) for checkpoints. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> s = new LinkedHashMap<>();
        firstMoment.forEach((n, a) -> s.put("exp_avg." + n, a));
        secondMoment.forEach((n, a) -> s.put("exp_avg_sq." + n, a));
        return s;
    }

    /** Restores moments saved by {@link #state()} and the step count (for bias correction). */
    public void load(Map<String, NDArray> state, long steps) {
        Autograd.noGrad(() -> {
            firstMoment.forEach((n, a) -> a.set(require(state, "exp_avg." + n).toByteBuffer()));
            secondMoment.forEach((n, a) -> a.set(require(state, "exp_avg_sq." + n).toByteBuffer()));
        });
        this.steps = steps;
    }

    private static NDArray require(Map<String, NDArray> state, String key) {
        NDArray a = state.get(key);
        if (a == null) {
            throw new IllegalArgumentException("optimizer state lacks '" + key + "'");
        }
        return a;
    }

    @Override
    public void close() {
        manager.close();
    }
}
