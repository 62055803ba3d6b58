package dev.tunelab.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
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
        LlamaConfig c = tiny().maxPositions(64).build();
        MemoryEstimate e = MemoryEstimate.ofTraining(c, 4, 1000, 2, 8);
        assertEquals(4 * c.parameterCount(), e.weights());
        assertEquals(4_000, e.gradients());
        assertEquals(8_000, e.optimizerState());
        // per layer 16 tokens x (8 x 16 + 4 x 32) + 3 x 2 rows x 2 heads x 8^2; head 3 x 16 tokens x 32; fp32
        long values = 2 * (16 * (8 * 16 + 4 * 32) + 3 * 2 * 2 * 64) + 3 * 16 * 32;
        assertEquals(4 * values, e.activations());
        assertEquals(e.weights() + 12_000 + 4 * values, e.total());
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
            assertTrue(e.getMessage().contains("training, micro-batches of 8 x 65536 tokens"), e.getMessage());
            assertTrue(e.estimate().activations() > 700 * MemoryEstimate.GIB, e.getMessage());
        }
        assertTrue(MemoryEstimate.available(Engine.getInstance().defaultDevice()) > 0);
    }
}
