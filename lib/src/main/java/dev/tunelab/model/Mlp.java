package dev.tunelab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** SwiGLU feed-forward (Shazeer 2020): down(silu(gate(x)) * up(x)). */
public final class Mlp extends Module {
    Mlp(Linear gateProj, Linear upProj, Linear downProj) {
        addChild("gate_proj", gateProj); // (intermediate, hidden)
        addChild("up_proj", upProj); // (intermediate, hidden)
        addChild("down_proj", downProj); // (hidden, intermediate)
    }

    public NDArray forward(NDArray x) {
        NDArray gate = this.<Linear>child("gate_proj").forward(x);
        NDArray up = this.<Linear>child("up_proj").forward(x);
        NDArray silu = gate.mul(Activation.sigmoid(gate));
        return this.<Linear>child("down_proj").forward(silu.mul(up));
    }
}
