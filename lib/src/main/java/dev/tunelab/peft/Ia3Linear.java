package dev.tunelab.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tunelab.model.Linear;
import dev.tunelab.model.Parameter;

/**
 * A frozen linear layer with an IA3 vector l (Liu et al. 2022), starting at ones: for keys and
 * values the output is rescaled, {@code base(x) * l}; for a feed-forward module (down_proj) its
 * input, the MLP's intermediate activation, is: {@code base(x * l)}. Named {@code ia3_l} as in PEFT.
 */
public final class Ia3Linear extends Linear {
    private final Linear base;
    private final Parameter scale;
    private final boolean feedforward;

    public Ia3Linear(Linear base, boolean feedforward, NDManager manager, DataType dtype) {
        this.base = addChild("base_layer", base);
        this.feedforward = feedforward;
        long n = feedforward ? base.inFeatures() : base.outFeatures();
        this.scale = addParameter("ia3_l", manager.ones(new Shape(n), dtype));
        base.namedParameters().values().forEach(p -> p.setTrainable(false));
    }

    @Override
    public NDArray forward(NDArray x) {
        if (feedforward) {
            return base.forward(x.mul(scale.data()));
        }
        return base.forward(x).mul(scale.data());
    }

    public Parameter scale() {
        return scale;
    }

    public boolean feedforward() {
        return feedforward;
    }

    public Linear base() {
        return base;
    }

    /** The vector's shape in PEFT's layout: (out, 1) for keys and values, (1, in) for feed-forward modules. */
    Shape peftShape() {
        long n = scale.data().size();
        return feedforward ? new Shape(1, n) : new Shape(n, 1);
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
