package dev.tunelab.align;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tunelab.io.SafeTensors;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Module;
import dev.tunelab.model.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A linear map from the decoder's final hidden states to one number per position: the score head
 * of a reward model (read at the last real token, as transformers' LlamaForSequenceClassification
 * does) and the value head of PPO (read at every completion position, as TRL's ValueHead does).
 * Its weights live in their own sub-manager of the model's, so closing the model frees them too.
 */
public final class ScalarHead extends Module implements AutoCloseable {
    private final NDManager manager;
    private final Parameter weight; // (1, hidden)
    private final Parameter bias; // (1)

    private ScalarHead(NDManager manager, NDArray weight, NDArray bias) {
        this.manager = manager;
        this.weight = addParameter("weight", weight);
        this.bias = addParameter("bias", bias);
    }

    /** Weight drawn from N(0, initializer_range) as transformers initialises linear layers; bias 0. */
    public static ScalarHead create(LlamaModel model, long seed) {
        int hidden = model.config().hiddenSize();
        Random random = new Random(seed);
        float[] w = new float[hidden];
        for (int i = 0; i < hidden; i++) {
            w[i] = (float) (random.nextGaussian() * model.config().initializerRange());
        }
        NDManager manager = model.manager().newSubManager();
        return new ScalarHead(manager, manager.create(w, new Shape(1, hidden)).toType(model.dtype(), false),
                manager.zeros(new Shape(1), model.dtype()));
    }

    /** Reads a head written by {@link #save} for {@code model}'s hidden size. */
    public static ScalarHead load(LlamaModel model, Path file) throws IOException {
        NDManager manager = model.manager().newSubManager();
        try {
            Map<String, NDArray> t = SafeTensors.loadAll(manager, file);
            NDArray w = t.get("weight");
            NDArray b = t.get("bias");
            Shape expected = new Shape(1, model.config().hiddenSize());
            if (w == null || b == null || !w.getShape().equals(expected) || !b.getShape().equals(new Shape(1))) {
                throw new IOException(file + ": expected tensors 'weight' " + expected + " and 'bias' (1), found "
                        + t.keySet() + (w == null ? "" : " with weight " + w.getShape()));
            }
            return new ScalarHead(manager, w.toType(model.dtype(), false), b.toType(model.dtype(), false));
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public void save(Path file) throws IOException {
        Map<String, NDArray> t = new LinkedHashMap<>();
        t.put("weight", weight.data());
        t.put("bias", bias.data());
        SafeTensors.write(file, t, Map.of("format", "pt"));
    }

    /** hidden (B, T, H) -> scores (B, T). */
    public NDArray forward(NDArray hidden) {
        return ai.djl.nn.core.Linear.linear(hidden, weight.data(), bias.data()).head().squeeze(-1);
    }

    /** The score at one position per row: hidden (B, T, H), positions (B, 1) int64 -> (B). */
    public NDArray at(NDArray hidden, NDArray positions) {
        return forward(hidden).gather(positions.toType(DataType.INT64, false), 1).squeeze(1);
    }

    /** Weight and bias, named "weight" and "bias" (what an optimizer over the head takes). */
    public Map<String, Parameter> parameters() {
        return namedParameters();
    }

    @Override
    public void close() {
        manager.close();
    }
}
