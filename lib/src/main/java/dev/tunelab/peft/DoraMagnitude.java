package dev.tunelab.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.Module;
import dev.tunelab.model.Parameter;

/**
 * DoRA's magnitude vector (Liu et al. 2024): one trained length m_o per output row o, so the
 * layer's weight is {@code W' = m * (W + scaling B A) / ||W + scaling B A||} with the norm taken
 * over each row's inputs (PEFT's dora.py get_weight_norm: {@code torch.linalg.norm(W, dim=1)} of
 * the (out, in) weight). Named {@code lora_magnitude_vector.<adapter>.weight} as PEFT's
 * DoraLinearLayer, and saved as {@code lora_magnitude_vector.weight}.
 */
final class DoraMagnitude extends Module {
    private final Parameter weight; // (out)

    DoraMagnitude(NDArray magnitude) {
        this.weight = addParameter("weight", magnitude);
    }

    Parameter weight() {
        return weight;
    }

    /**
     * ||W + scaling B A|| of each row (out), in {@code scope} and outside the graph: the paper's
     * §4.3 (and PEFT) treat the norm as a constant in backward, which saves memory and changes
     * the gradient only slightly.
     */
    static NDArray rowNorm(NDArray w, NDArray a, NDArray b, double scaling, NDManager scope) {
        return Autograd.noGrad(() -> {
            NDArray full = b.matMul(a); // (out, in)
            full.attach(scope);
            full.muli(scaling).addi(Autograd.like(w, full));
            return full.square().sum(new int[] {1}).sqrt();
        });
    }

    /** m / norm (out), in the norm's manager; the gradient flows to m only. */
    NDArray scale(NDArray norm) {
        NDArray inverse = Autograd.noGrad(() -> norm.pow(-1));
        return inverse.mul(Autograd.like(weight.data(), inverse));
    }
}
