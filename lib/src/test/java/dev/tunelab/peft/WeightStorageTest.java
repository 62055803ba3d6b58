package dev.tunelab.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.MemoryEstimate;
import dev.tunelab.model.Parameter;
import dev.tunelab.model.WeightStorage;
import dev.tunelab.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weights kept in fp16 or quantized while a checkpoint loads, against the same forms made from an fp32 model. */
class WeightStorageTest {
    @TempDir
    Path dir;

    private Path saved() throws IOException {
        try (LlamaModel model = TinyModels.model(5)) {
            model.save(dir);
        }
        return dir;
    }

    @Test
    void fp16StorageComputesWithTheFp16RoundedWeights() throws IOException {
        Path folder = saved();
        try (LlamaModel half = LlamaModel.load(folder, WeightStorage.FP16); LlamaModel rounded = LlamaModel.load(folder)) {
            // the reference: an fp32 model whose matrices were rounded through fp16 (norms stay fp32 in both)
            Autograd.noGrad(() -> rounded.namedParameters().forEach((name, p) -> {
                if (!name.endsWith("norm.weight")) {
                    p.set(p.data().toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false));
                }
            }));
            half.namedParameters().forEach((name, p) -> {
                assertEquals(name.endsWith("norm.weight") ? DataType.FLOAT32 : DataType.FLOAT16, p.data().getDataType(), name);
                assertTrue(!p.trainable(), name + " should be frozen");
            });
            assertEquals(DataType.FLOAT32, half.dtype());
            double diff = TinyModels.maxAbsDiff(TinyModels.logits(half), TinyModels.logits(rounded));
            assertTrue(diff < 1e-5, "fp16-stored logits differ from fp16-rounded fp32 logits by " + diff);
        }
    }

    @Test
    void quantizingWhileLoadingEqualsQuantizingAfterLoading() throws IOException {
        Path folder = saved();
        try (LlamaModel streamed = LlamaModel.load(folder, Quantization.nf4());
                LlamaModel after = Quantization.quantize(LlamaModel.load(folder), QuantFormat.NF4, true)) {
            assertInstanceOf(QuantizedLinear.class, streamed.namedModules().get("model.layers.1.mlp.down_proj"));
            assertEquals(DataType.FLOAT16, streamed.embedTokens().weight().data().getDataType());
            assertEquals(DataType.FLOAT16, ((dev.tunelab.model.Dense) streamed.namedModules().get("lm_head")).weight().data().getDataType());
            // the LM head and embedding are fp16 in the streamed model and fp32 in the other; undo that difference
            Autograd.noGrad(() -> {
                for (String name : new String[] {"model.embed_tokens.weight", "lm_head.weight"}) {
                    Parameter p = after.namedParameters().get(name);
                    p.set(p.data().toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false));
                }
            });
            double diff = TinyModels.maxAbsDiff(TinyModels.logits(streamed), TinyModels.logits(after));
            assertTrue(diff < 1e-5, "NF4 at load differs from NF4 after load by " + diff);
        }
    }

    @Test
    void aBaseStoredSmallerTrainsAdaptersButRefusesFullFineTuning() throws IOException {
        Path folder = saved();
        try (LlamaModel half = LlamaModel.load(folder, WeightStorage.FP16)) {
            half.namedParameters().get("model.norm.weight").setTrainable(true); // fp32: trainable
            half.embedTokens().weight().setTrainable(true); // fp16: AdamW cannot train it
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Trainer.fit(half, new dev.tunelab.train.BatchSource() {
                        @Override
                        public dev.tunelab.train.Batch batch(long index) {
                            return AdapterGradientCheckTest.BATCH;
                        }

                        @Override
                        public String fingerprint() {
                            return "fixed";
                        }
                    }, null, TinyModels.quickTraining(1)));
            assertTrue(e.getMessage().contains("'model.embed_tokens.weight' is stored as float16"), e.getMessage());
            assertTrue(e.getMessage().contains("fp16 weights"), e.getMessage());
        }
    }

    @Test
    void theMemoryEstimateCountsEachStoredForm() {
        var c = TinyModels.config(); // vocab 32, hidden 16, MLP 32, 2 layers, untied
        long embeddings = 2L * 32 * 16;
        long norms = (2L * 2 + 1) * 16;
        long decoder = c.parameterCount() - embeddings - norms;
        assertEquals(4 * c.parameterCount(), MemoryEstimate.ofModel(c, WeightStorage.FP32, DataType.FLOAT32).weights());
        assertEquals(2 * embeddings + 4 * norms + 2 * decoder, MemoryEstimate.ofModel(c, WeightStorage.FP16, DataType.FLOAT32).weights());
        // NF4 + double quantization: 4 + 8/64 + 32/(64 * 256) bits (QLoRA, section 3)
        long nf4 = (long) Math.ceil(decoder * (4 + 8.0 / 64 + 32.0 / (64 * 256)) / 8);
        assertEquals(2 * embeddings + 4 * norms + nf4, MemoryEstimate.ofModel(c, Quantization.nf4(), DataType.FLOAT32).weights(), 1);
    }
}
