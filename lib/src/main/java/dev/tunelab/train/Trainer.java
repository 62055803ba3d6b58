package dev.tunelab.train;

import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.MemoryEstimate;
import dev.tunelab.peft.PeftModel;
import java.util.Map;

/**
 * Causal language-model training: pretraining, full fine-tuning and SFT, of a model's own weights
 * or of a PEFT adapter. The recipe on top of {@link TrainingLoop}: each optimizer step reads
 * {@code gradAccumulation} consecutive batches of the source, and a batch's loss is the mean
 * next-token cross entropy over its labelled tokens (prompt tokens of SFT are not labelled).
 * Held-out: the token-weighted mean loss over {@code evalBatches} batches, and its perplexity.
 *
 * <pre>{@code
 * var lora = Lora.apply(model, LoraConfig.builder().r(8).alpha(16).allLinear().build());
 * TrainResult r = Trainer.fit(lora, train, heldOut, new TrainConfig().steps(200).evalEvery(50));
 * }</pre>
 */
public final class Trainer {
    private Trainer() {}

    /** Trains the model's trainable parameters (all of them for full fine-tuning). */
    public static TrainResult fit(LlamaModel model, BatchSource train, BatchSource eval, TrainConfig cfg) {
        return fit(TrainingLoop.of("sft", cfg, model), model, train, eval, cfg);
    }

    /** Trains an adapter: its settings go into the run record, its checkpoints are PEFT adapter folders. */
    public static TrainResult fit(PeftModel adapter, BatchSource train, BatchSource eval, TrainConfig cfg) {
        return fit(TrainingLoop.of("sft", cfg, adapter), adapter.model(), train, eval, cfg);
    }

    private static TrainResult fit(TrainingLoop loop, LlamaModel model, BatchSource train, BatchSource eval, TrainConfig cfg) {
        // Gradients, AdamW state and activations must fit next to the weights, which are loaded already.
        Batch first = train.batch(0);
        MemoryEstimate needs = MemoryEstimate.ofTraining(model.config(), model.storage(), model.dtype(),
                model.trainableParameterCount(), first.size(), first.length(), cfg.gradientCheckpointingFor(model.storage()));
        needs.requireFits(model.manager().getDevice(), needs.weights());
        int k = cfg.gradAccumulation();
        if (eval != null) {
            loop.evaluation(() -> {
                double loss = evaluate(model, eval, cfg.evalBatches());
                return Map.of("loss", loss, "perplexity", Math.exp(loss));
            });
        }
        return loop.dataFingerprint(train.fingerprint()).run((s, step) -> {
            Batch[] micro = new Batch[k];
            double[] tokens = new double[k];
            for (int i = 0; i < k; i++) {
                micro[i] = train.batch((long) step * k + i);
                tokens[i] = micro[i].lossTokens();
                s.countTokens(micro[i].lossTokens());
            }
            return s.update(tokens, (i, m) -> new LossOutput(
                    Losses.causalLm(micro[i].logits(model, m), micro[i].labels(m)), Map.of()));
        });
    }

    /** Token-weighted mean causal-LM loss over the first {@code batches} batches of a source, without gradient or dropout. */
    public static double evaluate(LlamaModel model, BatchSource data, int batches) {
        return Losses.heldOut(model, data, batches);
    }
}
