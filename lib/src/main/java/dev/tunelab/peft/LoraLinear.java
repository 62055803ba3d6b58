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
import java.util.HashMap;
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
 * A starts Kaiming-uniform and B at zero, so a fresh adapter leaves the output unchanged; PiSSA,
 * OLoRA and LoftQ start A and B from the base weight instead and change the base so that the sum
 * is unchanged ({@link LoraInit}). A DoRA adapter adds a magnitude vector
 * ({@code lora_magnitude_vector.<adapter>}, {@link DoraMagnitude}).
 */
public final class LoraLinear extends Linear {
    private Linear base;
    private final AdapterDict loraA = new AdapterDict();
    private final AdapterDict loraB = new AdapterDict();
    private final AdapterDict magnitudes = new AdapterDict(); // DoRA adapters only
    private final Map<String, NDArray> mergedDoraFactors = new HashMap<>(); // (out, 1) m / norm at merge time, to unmerge
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
        addChild("lora_magnitude_vector", magnitudes);
        this.manager = manager;
        this.dtype = dtype;
        base.namedParameters().values().forEach(p -> p.setTrainable(false));
    }

    /**
     * Adds a fresh adapter: A Kaiming-uniform and B zero, or from the base weight as the config's
     * init_lora_weights says (which changes the base); DoRA's magnitude starts at the row norms of
     * base + scaling B A, so the layer's output is unchanged. The first adapter added becomes active.
     */
    public void addAdapter(String name, LoraConfig config, Random random) {
        if (configs.containsKey(name)) {
            throw new IllegalArgumentException("adapter '" + name + "' already exists");
        }
        if (LoraInit.fromBaseWeight(config.initLoraWeights())) {
            initialiseFromBase(name, config);
        } else {
            initialiseKaiming(name, config, random);
        }
        if (config.useDora()) {
            try (NDManager scratch = manager.newSubManager()) {
                NDArray norm = DoraMagnitude.rowNorm(baseWeight(scratch), loraA(name).data(), loraB(name).data(),
                        config.scaling(), scratch);
                NDArray m = norm.duplicate();
                m.attach(manager);
                magnitudes.put(name, new DoraMagnitude(m));
            }
            magnitude(name).setTrainable(name.equals(active));
        }
    }

    private void initialiseKaiming(String name, LoraConfig config, Random random) {
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

    /** PiSSA, OLoRA or LoftQ: A and B from the base weight, which keeps the rest. */
    private void initialiseFromBase(String name, LoraConfig config) {
        String init = config.initLoraWeights();
        if (!(base instanceof Dense dense)) {
            throw new IllegalArgumentException("init_lora_weights '" + init + "' needs the full-precision base weight, but "
                    + "this layer's base is a " + base.getClass().getSimpleName() + " (for QLoRA use init_lora_weights \"loftq\" on "
                    + "a model that is not quantized yet: LoftQ quantizes it)");
        }
        if (!merged.isEmpty()) {
            throw new IllegalStateException("unmerge before adding a '" + init + "' adapter: it rewrites the base weight");
        }
        double[][] w = rows(dense.weight().data());
        double s = config.scaling();
        int r = config.r();
        if (r > Math.min(w.length, w[0].length)) {
            throw new IllegalArgumentException("init_lora_weights '" + init + "' takes r <= min(out, in) = "
                    + Math.min(w.length, w[0].length) + " singular directions, got r " + r);
        }
        LoraInit.Factors f;
        if (init.equals(LoraInit.LOFTQ)) {
            LoraInit.LoftQ l = LoraInit.loftq(w, r, s, config.loftqIter());
            NDArray bias = dense.bias() == null ? null : dense.bias().data().duplicate();
            QuantizedLinear q = new QuantizedLinear(l.base(), outFeatures(), inFeatures(), bias, manager, dtype);
            dense.weight().data().close();
            if (dense.bias() != null) {
                dense.bias().data().close();
            }
            base = q;
            setChild("base_layer", q);
            f = new LoraInit.Factors(l.a(), l.b(), null);
        } else if (init.equals(LoraInit.OLORA)) {
            f = LoraInit.olora(w, r, s);
        } else {
            int niter = init.equals(LoraInit.PISSA) ? -1 : Integer.parseInt(init.substring((LoraInit.PISSA + LoraInit.NITER).length()));
            f = LoraInit.pissa(w, r, s, niter, config.seed());
        }
        if (f.base() != null) {
            NDArray old = dense.weight().data();
            NDArray residual = array(f.base(), old.getDataType());
            dense.weight().set(residual);
        }
        addAdapter(name, config, array(f.a(), dtype), array(f.b(), dtype));
    }

    private static double[][] rows(NDArray weight) {
        float[] v = weight.toType(DataType.FLOAT32, true).toFloatArray();
        int out = (int) weight.getShape().get(0);
        int in = (int) weight.getShape().get(1);
        double[][] w = new double[out][in];
        for (int i = 0; i < out; i++) {
            for (int j = 0; j < in; j++) {
                w[i][j] = v[i * in + j];
            }
        }
        return w;
    }

    private NDArray array(double[][] rows, DataType type) {
        int n = rows[0].length;
        double[] flat = new double[rows.length * n];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * n, n);
        }
        return manager.create(flat, new Shape(rows.length, n)).toType(type, false);
    }

    /** The base weight (out, in) as forward uses it: a quantized base is dequantized into {@code m}. */
    private NDArray baseWeight(NDManager m) {
        if (base instanceof Dense d) {
            return d.weight().data();
        }
        if (base instanceof QuantizedLinear q) {
            return q.dequantizedWeight(m);
        }
        throw new IllegalStateException("DoRA does not know a " + base.getClass().getSimpleName() + " base");
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
        if (magnitudes.<DoraMagnitude>get(name) != null) {
            magnitude(name).data().close();
            magnitudes.remove(name);
        }
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
            if (configs.get(name).useDora()) {
                magnitude(name).data().close();
            }
        }
        mergedDoraFactors.values().forEach(NDArray::close);
        mergedDoraFactors.clear();
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
            if (configs.get(n).useDora()) {
                magnitude(n).setTrainable(n.equals(name));
            }
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

    /** DoRA's magnitude m (out) of an adapter with use_dora. */
    public Parameter magnitude(String name) {
        DoraMagnitude m = magnitudes.get(name);
        if (m == null) {
            throw new IllegalArgumentException("adapter '" + name + "' has no DoRA magnitude (use_dora is off)");
        }
        return m.weight();
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
        if (!c.useDora()) {
            return y.add(update.mul(scalar(update, c.scaling())));
        }
        // DoRA as PEFT's DoraLinearLayer.forward: with s = m / ||W + scaling B A|| (the norm a constant),
        // W' x = s * (W x + scaling B A x) = base(x) + (s - 1) * W x + s * scaling * B A x
        NDManager scope = x.getManager();
        NDArray w = baseWeight(scope);
        NDArray scale = magnitudes.<DoraMagnitude>get(active).scale(
                DoraMagnitude.rowNorm(w, loraA(active).data(), loraB(active).data(), c.scaling(), scope)); // (out)
        NDArray bias = base instanceof Dense d && d.bias() != null ? d.bias().data() : null;
        NDArray baseResult = input == x ? (bias == null ? y : y.sub(Autograd.like(bias, y)))
                : ai.djl.nn.core.Linear.linear(input, Autograd.like(w, input), null).head(); // dropout: W on the dropped x
        NDArray shrink = scale.sub(scalar(scale, 1));
        return y.add(baseResult.mul(shrink)).add(update.mul(scale.mul(scalar(scale, c.scaling()))));
    }

    /** As Autograd.scalar (an NDArray, never a Number, in the graph) but exact in float64 too. */
    private static NDArray scalar(NDArray like, double value) {
        return like.getManager().create(value).toType(like.getDataType(), false);
    }

    /**
     * The weight (out, in) that base weight {@code w} becomes with adapter {@code name} merged in, a
     * new array in {@code w}'s manager: W + scaling B A, or for DoRA m / ||W + scaling B A|| times it.
     */
    public NDArray mergedWeight(NDArray w, String name) {
        return Autograd.noGrad(() -> {
            NDArray sum;
            try (NDArray d = delta(name); NDArray typed = d.toType(w.getDataType(), false)) {
                sum = w.add(typed);
            }
            if (!configs.get(name).useDora()) {
                return sum;
            }
            try (NDArray factor = doraFactor(sum, name)) {
                return sum.muli(factor);
            }
        });
    }

    /** m / ||merged weight|| as a column (out, 1), in {@code merged}'s manager. */
    private NDArray doraFactor(NDArray merged, String name) {
        return Autograd.noGrad(() -> {
            try (NDArray norm = merged.square().sum(new int[] {1}).sqrt(); NDArray m = magnitude(name).data().toType(merged.getDataType(), true)) {
                return m.div(norm).reshape(-1, 1);
            }
        });
    }

    /** scaling * B A (out, in): what merging adds to the base weight (before DoRA's rescaling). */
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
        NDArray w = dense.weight().data();
        Autograd.noGrad(() -> {
            try (NDArray d = delta(active); NDArray typed = d.toType(w.getDataType(), false)) {
                w.addi(typed);
            }
            if (configs.get(active).useDora()) {
                NDArray factor = doraFactor(w, active); // kept to undo the rescaling exactly as it was done
                w.muli(factor);
                mergedDoraFactors.put(active, factor);
            }
        });
        merged.add(active);
    }

    /** Subtracts merged adapters from the base weight again. */
    public void unmerge() {
        Dense dense = denseBase("unmerge");
        Autograd.noGrad(() -> {
            NDArray w = dense.weight().data();
            for (String name : merged) {
                NDArray factor = mergedDoraFactors.remove(name);
                if (factor != null) {
                    w.divi(factor);
                    factor.close();
                }
                try (NDArray d = delta(name); NDArray typed = d.toType(w.getDataType(), false)) {
                    w.subi(typed);
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
