package dev.tunelab.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient checkpointing per decoder layer (Chen et al. 2016, "Training Deep Nets with Sublinear
 * Memory Cost"), written around DJL, which has neither custom autograd functions nor
 * {@code torch.utils.checkpoint}: the forward pass runs the layers without recording a graph and
 * keeps only each layer's input; autograd records from the last layer's output on (final norm,
 * head, loss). After {@code backward(loss)} has given that output its gradient, {@link #backward()}
 * walks the layers from last to first: it runs the layer again on its saved input with the graph
 * on, back-propagates the gradient of the layer's output through it (a vector-Jacobian product),
 * which accumulates the layer's parameter gradients and yields the gradient of its input, and
 * frees the layer's graph before the next. At most one layer's activations (and one layer's
 * widened fp16 or dequantized weights) are alive at a time, for one extra forward pass.
 *
 * <p>Dropout draws the same masks in both runs of a layer: each layer run starts from a seed drawn
 * for it, so a checkpointed step is deterministic, but its dropout masks differ from an
 * unchecked step's.
 */
final class LayerCheckpoints {
    /** One layer run: what is needed to run it again. */
    private record Segment(DecoderLayer layer, NDArray input, NDArray cos, NDArray sin, NDArray mask, NDArray[] prefix, int seed) {}

    /** One forward pass through the stack, whose segments are replayed in reverse. */
    private static final class Pass {
        final List<Segment> segments = new ArrayList<>();
        NDArray graphInput; // the embeddings when they carry a graph (trained table, prompt tuning), else null
        NDArray output; // the last layer's output, from which autograd records
    }

    private final List<Pass> passes = new ArrayList<>();

    /**
     * The layers on x (B, T, hidden) without a graph, saving each layer's input; returns the last
     * layer's output, a leaf that records the graph from here on. {@code xHasGraph}: x depends on
     * trained parameters (a trained embedding table, prompt tuning's vectors).
     */
    NDArray forward(ModuleList<DecoderLayer> layers, NDArray x, boolean xHasGraph, NDArray cos, NDArray sin, NDArray[] masks,
            NDArray[][] prefixes, boolean training) {
        NDManager scope = x.getManager();
        Pass pass = new Pass();
        // Told, not asked: DJL's requires-grad query answers false for the output of its embedding op, which has a graph.
        pass.graphInput = xHasGraph ? x : null;
        NDArray h = x.stopGradient();
        for (int i = 0; i < layers.size(); i++) {
            NDArray[] prefix = prefixes == null ? null : prefixes[i];
            int seed = training ? drawSeed(scope) : -1;
            Segment segment = new Segment(layers.get(i), h, cos, sin, masks[i], prefix, seed);
            pass.segments.add(segment);
            h = Autograd.noGrad(() -> run(segment, scope, null));
        }
        h.setRequiresGradient(true);
        pass.output = h;
        passes.add(pass);
        return h;
    }

    /**
     * The segment's layer on a new handle of its input, in a sub-scope so that everything but the
     * output is freed at once; with {@code outputGradient}, back-propagates it and returns the
     * input's gradient instead.
     */
    private static NDArray run(Segment s, NDManager scope, NDArray outputGradient) {
        try (NDManager layerScope = scope.newSubManager()) {
            NDArray input = s.input.stopGradient();
            input.attach(layerScope);
            if (outputGradient != null) {
                input.setRequiresGradient(true);
            }
            if (s.seed >= 0) {
                Engine.getInstance().setRandomSeed(s.seed); // the same dropout masks in both runs
            }
            NDArray y = s.layer.forward(input, s.cos, s.sin, s.mask, null, s.prefix);
            NDArray result;
            if (outputGradient == null) {
                result = y;
            } else {
                // prefix tuning's keys and values share one graph across layers: keep it for the next layer
                JniUtils.backward((PtNDArray) y, (PtNDArray) outputGradient, s.prefix != null, false);
                result = input.getGradient();
            }
            result.attach(scope);
            return result;
        }
    }

    private static int drawSeed(NDManager m) {
        try (NDArray r = m.randomInteger(0, Integer.MAX_VALUE, new Shape(1), DataType.INT32)) {
            return r.getInt(0);
        }
    }

    /**
     * Back-propagates through every recorded pass, last first, once the loss's backward pass has
     * reached the passes' outputs. A pass whose output got no gradient (it did not feed the loss)
     * is skipped. Forgets the passes.
     */
    void backward() {
        try {
            for (int p = passes.size() - 1; p >= 0; p--) {
                Pass pass = passes.get(p);
                NDArray g = JniUtils.getGradient((PtNDArray) pass.output); // null when the output did not feed the loss
                if (g == null) {
                    continue;
                }
                NDManager scope = pass.output.getManager();
                g.attach(scope);
                for (int i = pass.segments.size() - 1; i >= 0; i--) {
                    g = run(pass.segments.get(i), scope, g);
                }
                if (pass.graphInput != null) {
                    JniUtils.backward((PtNDArray) pass.graphInput, (PtNDArray) g, false, false);
                }
            }
        } finally {
            passes.clear();
        }
    }

    /** Forgets recorded passes without back-propagating (a step that skipped its update). */
    void clear() {
        passes.clear();
    }

    boolean isEmpty() {
        return passes.isEmpty();
    }
}
