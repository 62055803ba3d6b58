package dev.tunelab.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.Dense;
import dev.tunelab.model.Linear;
import dev.tunelab.model.Parameter;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A frozen linear layer plus low-rank updates (Hu et al. 2021):
 * {@code y = base(x) + scaling * B (A dropout(x))}, with A (r, in) and B (out, r).
 *
 * <p>Children are named as in PEFT ({@code base_layer}, {@code lora_A.<adapter>},
 * {@code lora_B.<adapter>}); several adapters can sit on one base, one of them active.
 * A starts Kaiming-uniform and B at zero, so a fresh adapter leaves the output unchanged.
 */
public final class LoraLinear extends Linear {
    private final Linear base;
    private final AdapterDict loraA = new AdapterDict();
    private final AdapterDict loraB = new AdapterDict();
    private final Map<String, LoraConfig> configs = new LinkedHashMap<>();
    private final Set<String> merged = new LinkedHashSet<>();
    private final NDManager manager;
    private final DataType dtype;
    private String active;
    private boolean enabled = true;

    /** Wraps {@code base} (its parameters are frozen); arrays of the adapters go to {@code manager}. */
    public LoraLinear(Linear base, NDManager manager, DataType dtype) {
        this.base = addChild("base_layer", base);
        addChild("lora_A", loraA);
        addChild("lora_B", loraB);
        this.manager = manager;
        this.dtype = dtype;
        base.namedParameters().values().forEach(p -> p.setTrainable(false));
    }

    /** Adds a fresh adapter: A Kaiming-uniform, B zero. The first one added becomes active. */
    public void addAdapter(String name, LoraConfig config, Random random) {
        if (configs.containsKey(name)) {
            throw new IllegalArgumentException("adapter '" + name + "' already exists");
        }
        long in = inFeatures();
        long out = outFeatures();
        // kaiming_uniform_(a=sqrt(5)) as PEFT's reset_lora_parameters: gain sqrt(2/(1+5)), bound gain*sqrt(3/fan_in) = 1/sqrt(fan_in)
        double bound = 1 / Math.sqrt(in);
        float[] a = new float[(int) (config.r() * in)];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        NDArray aArray = manager.create(a, new Shape(config.r(), in)).toType(dtype, false);
        NDArray bArray = manager.zeros(new Shape(out, config.r()), dtype);
        addAdapter(name, config, aArray, bArray);
    }

    /** Adds an adapter with given weights A (r, in) and B (out, r), e.g. loaded from a file. */
    public void addAdapter(String name, LoraConfig config, NDArray a, NDArray b) {
        loraA.put(name, new Dense(a, null));
        loraB.put(name, new Dense(b, null));
        configs.put(name, config);
        if (active == null) {
            active = name;
        }
    }

    public void removeAdapter(String name) {
        if (merged.contains(name)) {
            unmerge();
        }
        loraA.<Dense>get(name).weight().data().close();
        loraB.<Dense>get(name).weight().data().close();
        loraA.remove(name);
        loraB.remove(name);
        configs.remove(name);
        if (name.equals(active)) {
            active = configs.isEmpty() ? null : configs.keySet().iterator().next();
        }
    }

    /** Frees every adapter's arrays once the layer is unloaded (merged weights stay in the base). */
    void closeAdapters() {
        for (String name : configs.keySet()) {
            loraA(name).data().close();
            loraB(name).data().close();
        }
    }

    public Linear base() {
        return base;
    }

    public Set<String> adapters() {
        return configs.keySet();
    }

    public String activeAdapter() {
        return active;
    }

    /**
     * Makes {@code name} the adapter in use; only its A and B are trainable (as PEFT's set_adapter).
     * A layer that the adapter does not target acts as its base while it is active.
     */
    public void setActiveAdapter(String name) {
        if (!merged.isEmpty() && !name.equals(active)) {
            unmerge();
        }
        active = name;
        for (String n : configs.keySet()) {
            lora(loraA, n).setTrainable(n.equals(name));
            lora(loraB, n).setTrainable(n.equals(name));
        }
    }

    /** With adapters disabled the layer is its base: the reference model without a second copy. */
    public void setEnabled(boolean on) {
        if (!on && !merged.isEmpty()) {
            unmerge();
        }
        enabled = on;
    }

    public boolean enabled() {
        return enabled;
    }

    public LoraConfig config(String name) {
        return configs.get(name);
    }

    /** A (r, in) of an adapter. */
    public Parameter loraA(String name) {
        return lora(loraA, name);
    }

    /** B (out, r) of an adapter. */
    public Parameter loraB(String name) {
        return lora(loraB, name);
    }

    private static Parameter lora(AdapterDict dict, String name) {
        Dense d = dict.get(name);
        if (d == null) {
            throw new IllegalArgumentException("no adapter '" + name + "'");
        }
        return d.weight();
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray y = base.forward(x);
        if (!enabled || !configs.containsKey(active) || merged.contains(active)) {
            return y;
        }
        LoraConfig c = configs.get(active);
        NDArray input = isTraining() && c.dropout() > 0 ? Dropout.dropout(x, (float) c.dropout()).head() : x;
        NDArray update = loraB.<Dense>get(active).forward(loraA.<Dense>get(active).forward(input));
        return y.add(update.mul(scalar(update, c.scaling())));
    }

    /** As Autograd.scalar (an NDArray, never a Number, in the graph) but exact in float64 too. */
    private static NDArray scalar(NDArray like, double value) {
        return like.getManager().create(value).toType(like.getDataType(), false);
    }

    /** scaling * B A (out, in): what merging adds to the base weight. */
    public NDArray delta(String name) {
        return Autograd.noGrad(() -> {
            NDArray ba = loraB(name).data().matMul(loraA(name).data());
            return ba.muli(configs.get(name).scaling());
        });
    }

    /** Adds the active adapter into the base weight (W += scaling B A), so forward costs one matmul. */
    public void merge() {
        if (!configs.containsKey(active) || merged.contains(active)) {
            return;
        }
        Dense dense = denseBase("merge");
        Autograd.noGrad(() -> {
            try (NDArray d = delta(active)) {
                dense.weight().data().addi(d);
            }
        });
        merged.add(active);
    }

    /** Subtracts merged adapters from the base weight again. */
    public void unmerge() {
        Dense dense = denseBase("unmerge");
        Autograd.noGrad(() -> {
            for (String name : merged) {
                try (NDArray d = delta(name)) {
                    dense.weight().data().subi(d);
                }
            }
        });
        merged.clear();
    }

    public boolean isMerged() {
        return !merged.isEmpty();
    }

    private Dense denseBase(String what) {
        if (base instanceof Dense d) {
            return d;
        }
        throw new IllegalStateException("cannot " + what + " into a " + base.getClass().getSimpleName()
                + " base in place; use Lora.mergeAndUnload, which dequantizes first");
    }

    @Override
    public long inFeatures() {
        return base.inFeatures();
    }

    @Override
    public long outFeatures() {
        return base.outFeatures();
    }
}
