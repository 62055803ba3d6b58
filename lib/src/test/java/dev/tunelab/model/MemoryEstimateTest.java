package dev.tunelab.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.train.Batch;
import dev.tunelab.train.BatchSource;
import dev.tunelab.train.TrainConfig;
import dev.tunelab.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model or batch that cannot fit fails at once, with the estimate, instead of an out-of-memory crash. */
class MemoryEstimateTest {
    static LlamaConfig.Builder tiny() {
        return LlamaConfig.builder().vocabSize(32).hiddenSize(16).intermediateSize(32).layers(2).heads(2).kvHeads(1);
    }

    @Test
    void weightsAreTheParametersOfTheBuiltModel() {
        for (boolean tied : new boolean[] {true, false}) {
            LlamaConfig c = tiny().tieWordEmbeddings(tied).build();
            try (LlamaModel m = LlamaModel.create(c, 1)) {
                assertEquals(4 * m.parameterCount(), MemoryEstimate.ofModel(c, 4).weights());
            }
        }
    }

    @Test
    void trainingAddsGradientsAdamStateAndActivations() {
        LlamaConfig c = tiny().maxPositions(64).build(); // h 16, 2 heads x 8 (q 16), 1 KV head (kv 8), f 32, vocab 32, 2 layers
        MemoryEstimate e = MemoryEstimate.ofTraining(c, WeightStorage.FP32, DataType.FLOAT32, c.parameterCount(), 2, 8, false);
        assertEquals(4 * c.parameterCount(), e.weights());
        assertEquals(4 * c.parameterCount(), e.gradients());
        assertEquals(8 * c.parameterCount(), e.optimizerState());
        // per token 10 h + 9 q + 6 kv + 5 f + 4 heads x length = 160 + 144 + 48 + 160 + 64 = 576 values; 16 tokens;
        // 2 layers kept + 1 layer of gradients; head 4 x 16 tokens x 32
        long values = 3 * 16 * 576 + 4 * 16 * 32;
        assertEquals(4 * values, e.activations());

        // LoRA on an NF4 base with checkpointing: each layer's input (h per token) and one layer twice, plus
        // 3 (q + 2 kv + 2 h + 2 f) per token for the updates; widened: the embedding and one layer's weights
        MemoryEstimate q = MemoryEstimate.ofTraining(c, dev.tunelab.peft.Quantization.nf4(), DataType.FLOAT32, 1000, 2, 8, true);
        long perToken = 576 + 3 * (16 + 2 * 8 + 2 * 16 + 2 * 32);
        long qValues = 2 * 16 * 16 + 2 * 16 * perToken + 4 * 16 * 32;
        long widened = 4 * (32 * 16 + 16 * (2 * 16 + 2 * 8) + 3 * 16 * 32);
        assertEquals(4 * qValues + widened, q.activations());
        assertEquals(4_000, q.gradients());
        assertEquals(8_000, q.optimizerState());
    }

    @Test
    void aModelThatCannotFitFailsBeforeAllocatingAnything() {
        // 64 layers of width 16384 and a 256k vocabulary: about 212 billion parameters, 790 GiB in fp32
        LlamaConfig huge = LlamaConfig.builder().vocabSize(256_000).hiddenSize(16_384).intermediateSize(53_248).layers(64)
                .heads(128).kvHeads(8).build();
        InsufficientMemoryException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> assertThrows(InsufficientMemoryException.class, () -> LlamaModel.create(huge, 1)));
        assertEquals(4 * huge.parameterCount(), e.estimate().total());
        assertTrue(e.getMessage().startsWith("not enough memory for model ("), e.getMessage());
        assertTrue(e.getMessage().matches(".*about \\d+\\.\\d GiB \\(weights .* available on cpu.*"), e.getMessage());
    }

    @Test
    void loadingChecksTheConfigBeforeReadingWeights(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "llama", "vocab_size": 256000, "hidden_size": 16384, "intermediate_size": 53248,
                 "num_hidden_layers": 64, "num_attention_heads": 128, "num_key_value_heads": 8}""");
        // no weights file at all: the memory check must come first
        var e = assertThrows(InsufficientMemoryException.class, () -> LlamaModel.load(dir));
        assertTrue(e.getMessage().contains("GiB"), e.getMessage());
    }

    @Test
    void aBatchThatCannotFitFailsBeforeTheFirstStep() {
        // 8 rows of 65,536 tokens: the attention scores alone are 8 x 2 heads x 65536^2 x 4 bytes x 3 = 768 GiB
        int length = 65_536;
        BatchSource huge = new BatchSource() {
            @Override
            public Batch batch(long index) {
                long[][] ids = new long[8][length];
                return new Batch(ids, ids, ids);
            }

            @Override
            public String fingerprint() {
                return "huge";
            }
        };
        try (LlamaModel model = LlamaModel.create(tiny().maxPositions(length).build(), 1)) {
            var e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(InsufficientMemoryException.class,
                    () -> Trainer.fit(model, huge, null, new TrainConfig().steps(1).runsDir(null).progress(false))));
            assertTrue(e.getMessage().contains("training on fp32 weights, micro-batches of 8 x 65536 tokens"), e.getMessage());
            assertTrue(e.estimate().activations() > 700 * MemoryEstimate.GIB, e.getMessage());
        }
        assertTrue(MemoryEstimate.available(Engine.getInstance().defaultDevice()) > 0);
    }
}
