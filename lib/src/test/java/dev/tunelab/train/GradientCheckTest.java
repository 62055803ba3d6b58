package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import java.nio.DoubleBuffer;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Autograd gradients of every parameter against central finite differences, in float64. */
class GradientCheckTest {
    @Test
    void everyParameterGradientMatchesFiniteDifferences() {
        LlamaConfig config = LlamaConfig.builder().vocabSize(11).hiddenSize(8).intermediateSize(12).layers(2)
                .heads(2).kvHeads(1).tieWordEmbeddings(false).attentionBias(true).maxPositions(16)
                .initializerRange(0.3).build();
        try (LlamaModel model = LlamaModel.create(config, 7, Engine.getInstance().defaultDevice(), DataType.FLOAT64);
                NDManager m = model.manager().newSubManager()) {
            long[][] ids = {{1, 5, 3, 9, 2, 7}, {4, 4, 8, 0, 10, 6}};
            long[][] labels = {{-100, 5, 3, 9, 2, 7}, {4, 4, 8, 0, -100, -100}};
            long[][] mask = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}};
            Batch batch = new Batch(ids, labels, mask);

            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(loss(model, batch, m));
            }
            Random random = new Random(3);
            double worst = 0;
            String worstAt = "";
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                Parameter p = e.getValue();
                double[] grad;
                try (NDArray g = p.gradient(p.data().getManager())) {
                    grad = g.toDoubleArray();
                }
                double[] values = p.data().toDoubleArray();
                for (int trial = 0; trial < 3; trial++) {
                    int i = random.nextInt(values.length);
                    double h = 1e-5;
                    double plus = perturbedLoss(model, p, values, i, h, batch, m);
                    double minus = perturbedLoss(model, p, values, i, -h, batch, m);
                    double numeric = (plus - minus) / (2 * h);
                    double err = Math.abs(numeric - grad[i]) / Math.max(1e-6, Math.abs(numeric) + Math.abs(grad[i]));
                    if (Math.abs(numeric - grad[i]) > 1e-8 && err > worst) {
                        worst = err;
                        worstAt = e.getKey() + "[" + i + "] numeric=" + numeric + " autograd=" + grad[i];
                    }
                }
            }
            assertTrue(worst < 1e-5, "worst relative gradient error " + worst + " at " + worstAt);
        }
    }

    private static NDArray loss(LlamaModel model, Batch b, NDManager m) {
        NDArray logits = model.forward(b.inputIds(m), b.attentionMask(m), null, null);
        return Losses.causalLm(logits, b.labels(m));
    }

    private static double perturbedLoss(LlamaModel model, Parameter p, double[] values, int i, double h, Batch b,
            NDManager m) {
        return Autograd.noGrad(() -> {
            double[] changed = values.clone();
            changed[i] += h;
            p.data().set(DoubleBuffer.wrap(changed));
            try (NDManager step = m.newSubManager()) {
                double out = loss(model, b, step).getDouble();
                p.data().set(DoubleBuffer.wrap(values));
                return out;
            }
        });
    }
}
