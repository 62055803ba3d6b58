package dev.tunelab.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.io.Dtype;
import dev.tunelab.io.SafeTensors;
import dev.tunelab.io.SafeTensorsFile;
import dev.tunelab.io.SafeTensorsInfo;
import dev.tunelab.io.SaveOptions;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.peft.LoraLinear;
import dev.tunelab.peft.PeftModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Saving the shipped model as fp32, fp16 and bf16, whole and in shards, the way transformers'
 * {@code save_pretrained(max_shard_size=...)} lays a checkpoint out, and loading it back.
 */
class ModelSaveTest {
    static final Path MODEL = Path.of("..", "datasets", "models", "tinystories-base");
    static final ObjectMapper JSON = new ObjectMapper();
    /** A fixed prompt of token ids (any ids below the vocabulary size serve). */
    static final long[] IDS = {1, 604, 1029, 260, 365, 16, 417, 315, 260};

    @Test
    void bf16ShardsHoldExactlyTheRoundedWeightsAndReloadToTheSameLogits(@TempDir Path tmp) throws IOException {
        try (LanguageModel lm = Models.load(MODEL)) {
            LlamaModel model = lm.model();
            Path out = tmp.resolve("bf16");
            lm.save(out, SaveOptions.bf16().maxShardSize("1MB"));

            JsonNode config = JSON.readTree(out.resolve("config.json").toFile());
            assertEquals("bfloat16", config.get("torch_dtype").asText());
            for (String f : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
                assertArrayEquals(Files.readAllBytes(MODEL.resolve(f)), Files.readAllBytes(out.resolve(f)), f);
            }
            assertFalse(Files.exists(out.resolve(SafeTensors.MODEL_FILE)));

            // Every stored value is the fp32 weight rounded to 8 significant bits, ties to even,
            // computed here with Math.rint on a power-of-two grid rather than with the writer's bit trick.
            Map<String, float[]> original = floats(model);
            Map<String, String> weightMap = SafeTensors.readIndex(out.resolve(SafeTensors.INDEX_FILE));
            for (var e : weightMap.entrySet()) {
                try (SafeTensorsFile f = SafeTensors.open(out.resolve(e.getValue()))) {
                    assertEquals(Dtype.BF16, f.info(e.getKey()).dtype(), e.getKey());
                    float[] stored = f.floats(e.getKey());
                    float[] w = original.get(e.getKey());
                    for (int i = 0; i < w.length; i++) {
                        if (roundToSignificantBits(w[i], 8) != stored[i]) {
                            throw new AssertionError(e.getKey() + "[" + i + "] = " + w[i] + " stored as " + stored[i]);
                        }
                    }
                }
            }

            // The reloaded model computes what the original computes with rounded weights.
            try (LlamaModel back = LlamaModel.load(out); LlamaModel rounded = withWeights(model, w -> roundToSignificantBits((float) w, 8))) {
                float[] expected = logits(rounded);
                float[] got = logits(back);
                assertEquals(0, maxAbsDiff(expected, got), 1e-5);
                double fromOriginal = maxAbsDiff(logits(model), got);
                assertTrue(fromOriginal > 1e-4 && fromOriginal < 0.5, "bf16 moved the logits by " + fromOriginal);
            }
        }
    }

    @Test
    void fp16IsCloserThanBf16AndFp32IsExact(@TempDir Path tmp) throws IOException {
        try (LlamaModel model = LlamaModel.load(MODEL)) {
            float[] reference = logits(model);
            double[] diff = new double[3];
            List<SaveOptions> options = List.of(SaveOptions.defaults(), SaveOptions.fp16().maxShardSize("3MB"), SaveOptions.bf16());
            List<String> torchDtypes = List.of("float32", "float16", "bfloat16");
            for (int k = 0; k < 3; k++) {
                Path out = tmp.resolve("m" + k);
                model.save(out, options.get(k));
                assertEquals(torchDtypes.get(k), JSON.readTree(out.resolve("config.json").toFile()).get("torch_dtype").asText());
                try (LlamaModel back = LlamaModel.load(out)) {
                    diff[k] = maxAbsDiff(reference, logits(back));
                }
            }
            assertEquals(0.0, diff[0]);
            // fp16 keeps 11 significant bits and bf16 8 (these weights are far from fp16's range limits).
            assertTrue(diff[1] > 0 && diff[1] < diff[2] / 3, "fp16 " + diff[1] + " vs bf16 " + diff[2]);
            try (Stream<Path> s = Files.list(tmp.resolve("m0"))) { // default: one file, as save_pretrained
                assertEquals(List.of("config.json", SafeTensors.MODEL_FILE),
                        s.map(p -> p.getFileName().toString()).sorted().toList());
            }
        }
    }

    @Test
    void shardsFollowTransformersGreedySplitAndTheIndexListsEveryTensor(@TempDir Path tmp) throws IOException {
        try (LlamaModel model = LlamaModel.load(MODEL)) {
            long limit = 1_000_000;
            Path out = tmp.resolve("fp16");
            model.save(out, SaveOptions.fp16().maxShardSize("1MB"));

            // Expected split, derived from the parameter sizes in checkpoint order: a shard is
            // closed when the next tensor would take it past the limit.
            List<List<String>> expected = new ArrayList<>();
            List<String> current = new ArrayList<>();
            long bytes = 0;
            for (var e : model.namedParameters().entrySet()) {
                long b = 2 * e.getValue().size();
                if (!current.isEmpty() && bytes + b > limit) {
                    expected.add(current);
                    current = new ArrayList<>();
                    bytes = 0;
                }
                current.add(e.getKey());
                bytes += b;
            }
            expected.add(current);
            int n = expected.size();
            assertTrue(n >= 5, "a 5.6 MB fp16 model in 1 MB shards: " + n);

            JsonNode index = JSON.readTree(out.resolve(SafeTensors.INDEX_FILE).toFile());
            assertEquals(List.of("metadata", "weight_map"), names(index));
            assertEquals(List.of("total_size"), names(index.get("metadata")));
            assertEquals(2 * model.parameterCount(), index.get("metadata").get("total_size").asLong());
            List<String> keys = names(index.get("weight_map"));
            assertEquals(new ArrayList<>(new TreeSet<>(keys)), keys, "weight_map sorted by name, as transformers writes it");
            assertEquals(new TreeSet<>(model.namedParameters().keySet()), new TreeSet<>(keys));

            for (int s = 0; s < n; s++) {
                String file = String.format("model-%05d-of-%05d.safetensors", s + 1, n);
                try (SafeTensorsFile f = SafeTensors.open(out.resolve(file))) {
                    assertEquals(new TreeSet<>(expected.get(s)), new TreeSet<>(f.names()), file);
                    long data = f.infos().stream().mapToLong(SafeTensorsInfo::byteSize).sum();
                    assertTrue(data <= limit, file + " holds " + data + " bytes");
                    assertEquals("pt", f.metadata().get("format"));
                    for (String t : f.names()) {
                        assertEquals(file, index.get("weight_map").get(t).asText());
                    }
                }
            }
            try (Stream<Path> s = Files.list(out)) {
                assertEquals(n + 2, s.count()); // shards, index, config.json
            }

            // Saving again into the same folder as one file removes the shards and the index.
            model.save(out, SaveOptions.fp16());
            try (Stream<Path> s = Files.list(out)) {
                assertEquals(List.of("config.json", SafeTensors.MODEL_FILE), s.map(p -> p.getFileName().toString()).sorted().toList());
            }
        }
    }

    @Test
    void mergedLoraSavesAsShardedFp16AndReloadsAsAPlainModel(@TempDir Path tmp) throws IOException {
        try (LlamaModel model = LlamaModel.load(MODEL)) {
            PeftModel peft = Lora.apply(model, LoraConfig.builder().r(4).alpha(8).allLinear().seed(7).build());
            // B starts at zero (the adapter would change nothing); give it values so the merge matters.
            int k = 0;
            for (LoraLinear l : Lora.layers(model).values()) {
                NDArray b = l.loraB("default").data();
                l.loraB("default").set(model.manager().randomNormal(0, 0.05f, b.getShape(), b.getDataType()).add(k++ * 1e-3f));
            }
            float[] adapted = logits(model);
            LlamaModel merged = peft.mergeAndUnload();
            Path out = tmp.resolve("merged");
            merged.save(out, SaveOptions.fp16().maxShardSize("2MB"));
            assertTrue(Files.exists(out.resolve(SafeTensors.INDEX_FILE)));
            try (LlamaModel back = LlamaModel.load(out); LlamaModel original = LlamaModel.load(MODEL)) {
                float[] got = logits(back);
                double fromAdapted = maxAbsDiff(adapted, got);
                assertTrue(fromAdapted < 0.02, "merged fp16 vs LoRA model: " + fromAdapted);
                assertTrue(maxAbsDiff(logits(original), got) > 50 * fromAdapted, "the merged adapter must show in the saved weights");
            }
        }
    }

    @Test
    void shardSizesAreReadAsTransformersReadsThem() {
        assertEquals(5_000_000_000L, SaveOptions.defaults().maxShardBytes());
        assertEquals(5_000_000_000L, SaveOptions.parseSize("5GB"));
        assertEquals(2L << 30, SaveOptions.parseSize("2GiB"));
        assertEquals(500_000_000L, SaveOptions.parseSize("500MB"));
        assertEquals(512L << 20, SaveOptions.parseSize("512MiB"));
        assertEquals(100_000L, SaveOptions.parseSize("100kb") * 8); // lower-case b: bits
        assertEquals(1_000_000_000L, SaveOptions.parseSize("8Gb"));
        assertEquals(64L << 10, SaveOptions.parseSize("64KiB"));
        for (String bad : List.of("5", "5 GB", "1.5GB", "5TB", "GB", "-1GB", "0MB")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SaveOptions.parseSize(bad), bad);
            assertTrue(e.getMessage().contains("maxShardSize"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> SaveOptions.dtype(Dtype.I32));
        assertThrows(IllegalArgumentException.class, () -> SaveOptions.bf16().maxShardSize(0));
    }

    // ---- helpers ------------------------------------------------------------------------

    /** x rounded to {@code bits} significant bits, ties to even (normal floats). */
    static float roundToSignificantBits(float x, int bits) {
        if (x == 0 || !Float.isFinite(x)) {
            return x;
        }
        double quantum = Math.scalb(1.0, Math.getExponent(x) - (bits - 1));
        return (float) (Math.rint(x / quantum) * quantum);
    }

    static float[] logits(LlamaModel model) {
        try (NDManager m = model.manager().newSubManager()) {
            NDArray ids = m.create(IDS).reshape(1, IDS.length);
            return model.forward(ids).toFloatArray();
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    static Map<String, float[]> floats(LlamaModel model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        model.namedParameters().forEach((name, p) -> out.put(name, p.data().toFloatArray()));
        return out;
    }

    /** A copy of {@code model} whose every weight went through {@code f}. */
    static LlamaModel withWeights(LlamaModel model, java.util.function.DoubleUnaryOperator f) {
        LlamaModel copy = LlamaModel.create(model.config(), 0);
        copy.namedParameters().forEach((name, p) -> {
            NDArray w = model.namedParameters().get(name).data();
            float[] v = w.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) f.applyAsDouble(v[i]);
            }
            p.set(copy.manager().create(v, w.getShape()));
        });
        return copy;
    }

    static List<String> names(JsonNode node) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }
}
