package dev.tunelab.model;

import java.util.ArrayList;
import java.util.List;

/** Children named "0", "1", ... as in PyTorch's nn.ModuleList, so names read layers.0.mlp... */
public final class ModuleList<M extends Module> extends Module {
    private final List<String> names = new ArrayList<>();

    public void add(M module) {
        String name = Integer.toString(names.size());
        names.add(name);
        addChild(name, module);
    }

    public M get(int i) {
        return child(names.get(i));
    }

    public int size() {
        return names.size();
    }
}
