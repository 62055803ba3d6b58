package dev.tunelab.model;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A node of the model tree: named parameters and named child modules, in registration order.
 * Names join with dots, so the tree spells out Hugging Face parameter names. Children can be
 * replaced by name, which is how LoRA and quantization wrap linear layers.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training;

    protected final Parameter addParameter(String name, NDArray data) {
        Parameter p = new Parameter(data, true);
        parameters.put(name, p);
        return p;
    }

    protected final <M extends Module> M addChild(String name, M child) {
        children.put(name, child);
        return child;
    }

    @SuppressWarnings("unchecked")
    protected final <M extends Module> M child(String name) {
        return (M) children.get(name);
    }

    /** Removes a child (adapters that are unloaded); a no-op when there is none. */
    protected final void removeChild(String name) {
        children.remove(name);
    }

    /** The child registered under {@code name}, replaced by {@code replacement}. */
    public final void setChild(String name, Module replacement) {
        if (!children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no child '" + name + "'");
        }
        children.put(name, replacement);
    }

    /** Replaces the module at a dotted path such as {@code model.layers.0.self_attn.q_proj}. */
    public final void replace(String path, Module replacement) {
        int dot = path.lastIndexOf('.');
        Module parent = dot < 0 ? this : module(path.substring(0, dot));
        parent.setChild(dot < 0 ? path : path.substring(dot + 1), replacement);
    }

    /** The module at a dotted path; the empty path is this module. */
    public final Module module(String path) {
        Module m = this;
        if (path.isEmpty()) {
            return m;
        }
        for (String part : path.split("\\.")) {
            Module next = m.children.get(part);
            if (next == null) {
                throw new IllegalArgumentException("no module '" + path + "' (missing '" + part + "')");
            }
            m = next;
        }
        return m;
    }

    /** Training mode turns dropout on; evaluation and generation run with it off (the default). */
    public final void train(boolean on) {
        namedModules().values().forEach(m -> m.training = on);
    }

    public final boolean isTraining() {
        return training;
    }

    /** Own parameters only, without children's. */
    public final Map<String, Parameter> ownParameters() {
        return parameters;
    }

    /** Every parameter of this subtree by full dotted name, in registration order. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collectParameters("", out);
        return out;
    }

    private void collectParameters(String prefix, Map<String, Parameter> out) {
        parameters.forEach((n, p) -> out.put(prefix + n, p));
        children.forEach((n, c) -> c.collectParameters(prefix + n + ".", out));
    }

    /** Every module of this subtree by dotted path (this one is ""), parents before children. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String path, Map<String, Module> out) {
        out.put(path, this);
        children.forEach((n, c) -> c.collectModules(path.isEmpty() ? n : path + "." + n, out));
    }
}
