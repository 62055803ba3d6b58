package dev.tunelab.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.Embedding;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.PromptAdapter;
import java.util.Random;

/** Prompt tuning's virtual tokens: an embedding table (P, hidden) whose rows go in front of the input. */
public final class PromptTuning extends PromptAdapter {
    private final Embedding embedding;

    private PromptTuning(NDArray table) {
        this.embedding = addChild("embedding", new Embedding(table));
    }

    /** Freezes the model and attaches P virtual tokens, N(0, 1) as PEFT's RANDOM init. */
    public static PeftModel apply(LlamaModel model, PromptTuningConfig config) {
        if (config.initText() != null) {
            throw new IllegalArgumentException("prompt tuning initialised from text needs a tokenizer: apply(model, config, tokenizer)");
        }
        return applyRandom(model, config);
    }

    static PeftModel applyRandom(LlamaModel model, PromptTuningConfig config) {
        Random random = new Random(config.seed());
        int p = config.numVirtualTokens();
        int h = model.config().hiddenSize();
        float[] v = new float[p * h];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return attach(model, config, model.manager().create(v, new Shape(p, h)).toType(model.dtype(), false));
    }

    /** As PEFT's TEXT init: the embeddings of the text's tokens, repeated or cut to P. */
    public static PeftModel apply(LlamaModel model, PromptTuningConfig config, Tokenizer tokenizer) {
        if (config.initText() == null) {
            return apply(model, config);
        }
        // PEFT calls tokenizer(init_text)["input_ids"]: special tokens included (BOS for Llama)
        return applyFromTokens(model, config, tokenizer.encode(config.initText(), true));
    }

    /** Virtual tokens initialised from these token ids' embeddings, repeated or cut to P. */
    public static PeftModel applyFromTokens(LlamaModel model, PromptTuningConfig config, long[] tokenIds) {
        if (tokenIds.length == 0) {
            throw new IllegalArgumentException("prompt tuning init text has no tokens");
        }
        long[] ids = new long[config.numVirtualTokens()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokenIds[i % tokenIds.length];
        }
        NDArray table = Autograd.noGrad(() -> {
            try (NDManager scratch = model.manager().newSubManager()) {
                NDArray rows = model.embedTokens().forward(scratch.create(ids));
                NDArray copy = rows.duplicate();
                copy.attach(model.manager());
                return copy;
            }
        });
        return attach(model, config, table);
    }

    private static PeftModel attach(LlamaModel model, PromptTuningConfig config, NDArray table) {
        model.freeze();
        model.setPromptAdapter(new PromptTuning(table));
        PeftModel peft = new PeftModel(model, PeftType.PROMPT_TUNING);
        peft.register(Lora.DEFAULT_ADAPTER, config);
        return peft;
    }

    /** The learned embeddings (P, hidden): what PEFT saves as prompt_embeddings. */
    public NDArray table() {
        return embedding.weight().data();
    }

    @Override
    public int length() {
        return (int) table().getShape().get(0);
    }

    @Override
    public boolean prependsEmbeddings() {
        return true;
    }

    @Override
    public NDArray inputEmbeddings(NDManager m, long batch) {
        NDArray rows = embedding.forward(m.arange(0, length()).toType(DataType.INT64, false)); // (P, hidden), in m
        return rows.expandDims(0).broadcast(new Shape(batch, rows.getShape().get(0), rows.getShape().get(1)));
    }
}
