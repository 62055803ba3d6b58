package dev.tunelab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.io.GgmlType;
import dev.tunelab.io.GgufTestReader;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the GGUF file of the shipped model holds, read back with an independent reader: the keys
 * and tensor names llama.cpp's convert_hf_to_gguf.py writes for a LlamaForCausalLM (and for
 * Qwen2ForCausalLM and MistralForCausalLM), the tokenizer, the weights (Q and K rows reordered for
 * llama.cpp's llama rope, kept for qwen2), and refusals of what the file cannot hold.
 */
class GgufExportTest {
    static final Path MODEL = Path.of("..", "datasets", "models", "tinystories-base");
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void metadataAndTokenizerAreWhatLlamaCppReadsForALlamaModel(@TempDir Path tmp) throws IOException {
        try (LanguageModel lm = Models.load(MODEL)) {
            Path file = tmp.resolve("story.gguf");
            GgufExport export = lm.saveGguf(file, GgufOptions.f32().name("tinystories-base"));
            assertEquals(Files.size(file), export.bytes());
            GgufTestReader r = new GgufTestReader(file);
            JsonNode config = JSON.readTree(MODEL.resolve("config.json").toFile());
            JsonNode tokJson = JSON.readTree(MODEL.resolve("tokenizer.json").toFile());
            JsonNode tokConfig = JSON.readTree(MODEL.resolve("tokenizer_config.json").toFile());
            Map<String, Object> m = r.metadata;

            assertEquals(3, r.version);
            assertEquals("llama", m.get("general.architecture"));
            assertEquals("tinystories-base", m.get("general.name"));
            assertEquals(0L, m.get("general.file_type"));
            assertEquals(2L, m.get("general.quantization_version"));
            assertEquals(config.get("num_hidden_layers").asLong(), m.get("llama.block_count"));
            assertEquals(config.get("max_position_embeddings").asLong(), m.get("llama.context_length"));
            assertEquals(config.get("hidden_size").asLong(), m.get("llama.embedding_length"));
            assertEquals(config.get("intermediate_size").asLong(), m.get("llama.feed_forward_length"));
            assertEquals(config.get("num_attention_heads").asLong(), m.get("llama.attention.head_count"));
            assertEquals(config.get("num_key_value_heads").asLong(), m.get("llama.attention.head_count_kv"));
            assertEquals(config.get("head_dim").asLong(), m.get("llama.rope.dimension_count"));
            assertEquals(config.get("head_dim").asLong(), m.get("llama.attention.key_length"));
            assertEquals(config.get("head_dim").asLong(), m.get("llama.attention.value_length"));
            assertEquals(config.get("vocab_size").asLong(), m.get("llama.vocab_size"));
            assertEquals((float) config.get("rope_theta").asDouble(), m.get("llama.rope.freq_base"));
            assertEquals((float) config.get("rms_norm_eps").asDouble(), m.get("llama.attention.layer_norm_rms_epsilon"));
            // u32 for sizes and ids, f32 for the two numbers: llama.cpp refuses a key of another type
            assertEquals(4, r.metadataTypes.get("llama.block_count"));
            assertEquals(6, r.metadataTypes.get("llama.rope.freq_base"));

            assertEquals("gpt2", m.get("tokenizer.ggml.model"));
            assertEquals("gpt-2", m.get("tokenizer.ggml.pre"));
            List<?> tokens = (List<?>) m.get("tokenizer.ggml.tokens");
            List<?> types = (List<?>) m.get("tokenizer.ggml.token_type");
            assertEquals(2048, tokens.size());
            tokJson.get("model").get("vocab").fields().forEachRemaining(e -> assertEquals(e.getKey(), tokens.get(e.getValue().asInt())));
            for (JsonNode a : tokJson.get("added_tokens")) {
                assertEquals(a.get("content").asText(), tokens.get(a.get("id").asInt()));
            }
            assertEquals(List.of(3, 3, 3, 3, 3, 1, 1), types.subList(0, 7)); // the five special tokens are CONTROL
            assertEquals(2048 - 5, types.stream().filter(t -> t.equals(1)).count());
            List<String> merges = new ArrayList<>();
            tokJson.get("model").get("merges").forEach(x -> merges.add(x.asText()));
            assertEquals(merges, m.get("tokenizer.ggml.merges"));
            assertEquals(1L, m.get("tokenizer.ggml.bos_token_id"));
            assertEquals(2L, m.get("tokenizer.ggml.eos_token_id"));
            assertEquals(0L, m.get("tokenizer.ggml.padding_token_id"));
            assertFalse(m.containsKey("tokenizer.ggml.unknown_token_id"));
            assertEquals(tokConfig.get("add_bos_token").asBoolean(), m.get("tokenizer.ggml.add_bos_token"));
            assertEquals(false, m.get("tokenizer.ggml.add_eos_token"));
            assertEquals(tokConfig.get("chat_template").asText(), m.get("tokenizer.chat_template"));
        }
    }

    @Test
    void tensorsAreNamedAndOrderedForLlamaCppWithQAndKRowsInterleaved(@TempDir Path tmp) throws IOException {
        try (LanguageModel lm = Models.load(MODEL)) {
            LlamaModel model = lm.model();
            LlamaConfig c = model.config();
            Path file = tmp.resolve("f32.gguf");
            lm.saveGguf(file, GgufOptions.f32());
            GgufTestReader r = new GgufTestReader(file);

            List<String> expected = new ArrayList<>(List.of("token_embd.weight"));
            for (int i = 0; i < c.numHiddenLayers(); i++) {
                for (String t : List.of("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down")) {
                    expected.add("blk." + i + "." + t + ".weight");
                }
            }
            expected.add("output_norm.weight"); // tied embedding: no output.weight, llama.cpp reuses token_embd
            assertEquals(expected, r.tensors.stream().map(GgufTestReader.TensorInfo::name).toList());
            assertArrayEquals(new long[] {192, 2048}, r.tensor("token_embd.weight").ggmlDims());
            assertArrayEquals(new long[] {192, 512}, r.tensor("blk.0.ffn_up.weight").ggmlDims());
            assertArrayEquals(new long[] {512, 192}, r.tensor("blk.0.ffn_down.weight").ggmlDims());
            assertArrayEquals(new long[] {192, 64}, r.tensor("blk.0.attn_k.weight").ggmlDims());

            assertArrayEquals(hf(model, "model.embed_tokens.weight"), f32(r, "token_embd.weight"));
            assertArrayEquals(hf(model, "model.layers.3.self_attn.v_proj.weight"), f32(r, "blk.3.attn_v.weight"));
            assertArrayEquals(hf(model, "model.layers.5.post_attention_layernorm.weight"), f32(r, "blk.5.ffn_norm.weight"));
            assertArrayEquals(hf(model, "model.norm.weight"), f32(r, "output_norm.weight"));

            // Within each head of 32 rows, GGUF row 2i is HF row i and row 2i+1 is HF row i+16.
            int hd = c.headDim();
            int cols = c.hiddenSize();
            for (String[] qk : new String[][] {{"q_proj", "attn_q"}, {"k_proj", "attn_k"}}) {
                float[] w = hf(model, "model.layers.2.self_attn." + qk[0] + ".weight");
                float[] g = f32(r, "blk.2." + qk[1] + ".weight");
                int heads = w.length / cols / hd;
                assertEquals(qk[0].equals("q_proj") ? 6 : 2, heads);
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < hd / 2; i++) {
                        for (int col = 0; col < cols; col++) {
                            assertEquals(w[((h * hd) + i) * cols + col], g[((h * hd) + 2 * i) * cols + col]);
                            assertEquals(w[((h * hd) + hd / 2 + i) * cols + col], g[((h * hd) + 2 * i + 1) * cols + col]);
                        }
                    }
                }
                assertFalse(java.util.Arrays.equals(w, g), "rows must actually move");
            }
        }
    }

    @Test
    void matrixTypesFollowTheOptionAndQ8FallsBackToF16WhereBlocksDoNotFit(@TempDir Path tmp) throws IOException {
        try (LanguageModel lm = Models.load(MODEL)) {
            GgufExport f16 = lm.saveGguf(tmp.resolve("f16.gguf"), GgufOptions.f16());
            assertEquals(Map.of(GgmlType.F32, 13, GgmlType.F16, 43), f16.typeCounts());
            GgufExport q8 = lm.saveGguf(tmp.resolve("q8.gguf"), GgufOptions.q8_0());
            assertEquals(Map.of(GgmlType.F32, 13, GgmlType.Q8_0, 43), q8.typeCounts());
            GgufTestReader r = new GgufTestReader(q8.file());
            assertEquals(7L, r.metadata.get("general.file_type"));
            // 2.76M weights: about 2 bytes each in F16, 34/32 in Q8_0
            assertTrue(q8.bytes() < 0.56 * f16.bytes(), q8 + " vs " + f16);
        }
        // hidden size 48: rows of 48 do not split into 32-blocks; down_proj's rows (64) do
        LlamaConfig c = LlamaConfig.builder().vocabSize(2048).hiddenSize(48).heads(2).kvHeads(1).intermediateSize(64)
                .layers(1).tieWordEmbeddings(false).build();
        try (LlamaModel model = LlamaModel.create(c, 1); Tokenizer tok = Tokenizer.load(MODEL)) {
            GgufExport q8 = Gguf.write(model, tok, tmp.resolve("odd.gguf"), GgufOptions.q8_0());
            Map<String, GgmlType> types = new HashMap<>();
            q8.tensors().forEach(t -> types.put(t.name(), t.type()));
            assertEquals(GgmlType.F16, types.get("blk.0.attn_q.weight"));
            assertEquals(GgmlType.F16, types.get("output.weight"));
            assertEquals(GgmlType.Q8_0, types.get("blk.0.ffn_down.weight"));
            assertEquals(GgmlType.F32, types.get("blk.0.attn_norm.weight"));
            assertTrue(types.containsKey("output.weight"), "an untied head is written as output.weight");
        }
    }

    @Test
    void refusesConfigsTheLlamaArchitectureCannotHold(@TempDir Path tmp) throws IOException {
        try (Tokenizer tok = Tokenizer.load(MODEL)) {
            // A window shorter than the context: neither llama.cpp architecture masks by one.
            assertRefused(tmp, tok, cfg -> cfg.put("model_type", "mistral").put("sliding_window", 256),
                    "sliding_window is 256 (layer 0), shorter than max_position_embeddings 512");
            assertRefused(tmp, tok, cfg -> cfg.put("model_type", "qwen2").put("use_sliding_window", true).put("sliding_window", 128)
                    .put("max_window_layers", 0), "sliding_window is 128 (layer 0, from max_window_layers 0 on");
            // b4916 builds qwen2's attn_q as {n_embd, n_embd}; llama takes key_length.
            assertRefused(tmp, tok, cfg -> cfg.put("model_type", "qwen2").put("head_dim", 16),
                    "head_dim 16 x num_attention_heads 6 is not hidden_size 192");
            assertRefused(tmp, tok, cfg -> cfg.put("attention_bias", true), "attention_bias");
            assertRefused(tmp, tok, cfg -> cfg.put("mlp_bias", true), "mlp_bias");
            assertRefused(tmp, tok, cfg -> cfg.put("vocab_size", 1000), "vocab_size is 1000");
        }
        LlamaConfig qwenLlama3 = LlamaConfig.builder().modelType("qwen2").vocabSize(2048).hiddenSize(64).heads(2).kvHeads(1)
                .layers(1).ropeScaling(new LlamaConfig.RopeScaling("llama3", 8, 1, 4, 64)).build();
        try (LlamaModel model = LlamaModel.create(qwenLlama3, 1); Tokenizer tok = Tokenizer.load(MODEL)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Gguf.write(model, tok, tmp.resolve("x.gguf"), GgufOptions.f16()));
            assertTrue(e.getMessage().contains("rope_scaling.rope_type is 'llama3', expected none for Qwen2"), e.getMessage());
        }
        try (LlamaModel model = LlamaModel.load(MODEL); Tokenizer tok = Tokenizer.load(MODEL)) {
            Lora.apply(model, LoraConfig.builder().r(2).alpha(4).targetModules("q_proj").build());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Gguf.write(model, tok, tmp.resolve("lora.gguf"), GgufOptions.f16()));
            assertTrue(e.getMessage().contains("mergeAndUnload"), e.getMessage());
        }
        assertFalse(Files.exists(tmp.resolve("x.gguf")));
    }

    @Test
    void qwen2IsWrittenAsLlamaCppsQwen2WithBiasesAndRowsAsTheyAre(@TempDir Path tmp) throws IOException {
        LlamaConfig c = LlamaConfig.builder().modelType("qwen2").vocabSize(2048).hiddenSize(64).heads(4).kvHeads(2)
                .intermediateSize(96).layers(2).ropeTheta(1_000_000).rmsNormEps(1e-6).build();
        try (LlamaModel model = LlamaModel.create(c, 1); Tokenizer tok = Tokenizer.load(MODEL)) {
            GgufFamiliesLlamaCppTest.randomizeBiases(model, 0.1, 2);
            GgufTestReader r = new GgufTestReader(Gguf.write(model, tok, tmp.resolve("q.gguf"), GgufOptions.f32()).file());
            Map<String, Object> m = r.metadata;
            assertEquals("qwen2", m.get("general.architecture"));
            assertEquals(2L, m.get("qwen2.block_count"));
            assertEquals(64L, m.get("qwen2.embedding_length"));
            assertEquals(96L, m.get("qwen2.feed_forward_length"));
            assertEquals(4L, m.get("qwen2.attention.head_count"));
            assertEquals(2L, m.get("qwen2.attention.head_count_kv"));
            assertEquals(1_000_000f, m.get("qwen2.rope.freq_base"));
            assertEquals(1e-6f, m.get("qwen2.attention.layer_norm_rms_epsilon"));
            assertFalse(m.keySet().stream().anyMatch(k -> k.startsWith("llama.")), m.keySet().toString());
            assertFalse(m.containsKey("qwen2.vocab_size"), "Qwen2Model of convert_hf_to_gguf.py writes no vocab_size");

            List<String> layer0 = r.tensors.stream().map(GgufTestReader.TensorInfo::name).filter(n -> n.startsWith("blk.0.")).toList();
            assertEquals(List.of("blk.0.attn_norm.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight",
                    "blk.0.attn_q.bias", "blk.0.attn_k.bias", "blk.0.attn_v.bias", "blk.0.attn_output.weight", "blk.0.ffn_norm.weight",
                    "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight"), layer0);
            assertArrayEquals(new long[] {32}, r.tensor("blk.1.attn_k.bias").ggmlDims());
            // NEOX rope: Q and K rows stay in transformers' order, biases as they are.
            for (String t : List.of("q_proj.weight", "k_proj.weight", "q_proj.bias", "k_proj.bias", "v_proj.bias")) {
                String gg = "blk.1.attn_" + t.charAt(0) + "." + t.substring(t.indexOf('.') + 1);
                assertArrayEquals(hf(model, "model.layers.1.self_attn." + t), f32(r, gg), gg);
            }
            assertTrue(Math.abs(f32(r, "blk.1.attn_q.bias")[0]) > 0, "random biases must be written, not zeros");
        }
    }

    @Test
    void mistralIsWrittenAsTheLlamaArchitectureWhenItsWindowCoversTheContext(@TempDir Path tmp) throws IOException {
        // No window (Mistral v0.2/v0.3), or one at least max_position_embeddings long: every key is seen.
        for (int window : new int[] {0, 512, 4096}) {
            LlamaConfig c = LlamaConfig.builder().modelType("mistral").vocabSize(2048).hiddenSize(64).heads(4).kvHeads(2)
                    .layers(1).maxPositions(512).slidingWindow(window).tieWordEmbeddings(false).build();
            try (LlamaModel model = LlamaModel.create(c, 1); Tokenizer tok = Tokenizer.load(MODEL)) {
                GgufTestReader r = new GgufTestReader(Gguf.write(model, tok, tmp.resolve("m" + window + ".gguf"), GgufOptions.f32()).file());
                assertEquals("llama", r.metadata.get("general.architecture"));
                assertEquals(512L, r.metadata.get("llama.context_length"));
                assertFalse(r.metadata.keySet().stream().anyMatch(k -> k.contains("sliding")), r.metadata.keySet().toString());
                float[] k = hf(model, "model.layers.0.self_attn.k_proj.weight");
                float[] g = f32(r, "blk.0.attn_k.weight");
                // llama's rope row order: GGUF row 2i of each 16-row head is HF row i, row 2i+1 is HF row i + 8.
                assertEquals(k[8 * 64 + 5], g[64 + 5]);
                assertEquals(k[(16 + 3) * 64], g[(16 + 6) * 64]);
                assertArrayEquals(hf(model, "lm_head.weight"), f32(r, "output.weight"));
            }
        }
        // Qwen2 with use_sliding_window, but max_window_layers covering every layer: no layer slides.
        LlamaConfig q = LlamaConfig.builder().modelType("qwen2").vocabSize(2048).hiddenSize(64).heads(4).kvHeads(2)
                .layers(2).maxPositions(512).slidingWindow(64, 2).build();
        try (LlamaModel model = LlamaModel.create(q, 1); Tokenizer tok = Tokenizer.load(MODEL)) {
            assertEquals(64, model.config().slidingWindow());
            Path file = Gguf.write(model, tok, tmp.resolve("q.gguf"), GgufOptions.f16()).file();
            assertEquals("qwen2", new GgufTestReader(file).metadata.get("general.architecture"));
        }
    }

    @Test
    void llama3RopeScalingBecomesRopeFreqsFactors(@TempDir Path tmp) throws IOException {
        // head_dim 8, theta 10000: inverse frequencies 1, 0.1, 0.01, 0.001, wavelengths 2*pi*(1, 10, 100, 1000).
        // With original context 64: low-frequency wavelength 64/1, high-frequency 64/4 = 16, so
        // 6.3 < 16 keeps 1; 628 and 6283 > 64 take the factor 8; 62.8 lies between and is interpolated.
        LlamaConfig c = LlamaConfig.builder().vocabSize(2048).hiddenSize(16).heads(2).kvHeads(1).layers(1)
                .ropeScaling(new LlamaConfig.RopeScaling("llama3", 8, 1, 4, 64)).build();
        double smooth = (64 / (2 * Math.PI * 10) - 1) / (4 - 1);
        float middle = (float) (1 / ((1 - smooth) / 8 + smooth));
        assertEquals(7.667, middle, 1e-3);
        try (LlamaModel model = LlamaModel.create(c, 1); Tokenizer tok = Tokenizer.load(MODEL)) {
            GgufExport export = Gguf.write(model, tok, tmp.resolve("rope.gguf"), GgufOptions.f16());
            GgufTestReader r = new GgufTestReader(export.file());
            assertEquals("rope_freqs.weight", r.tensors.get(0).name());
            assertArrayEquals(new long[] {4}, r.tensor("rope_freqs.weight").ggmlDims());
            assertArrayEquals(new float[] {1, middle, 8, 8}, f32(r, "rope_freqs.weight"));
        }
    }

    @Test
    void refusesTokenizersLlamaCppWouldSplitDifferently(@TempDir Path tmp) throws IOException {
        assertTokenizerRefused(tmp, t -> t.putObject("pre_tokenizer").put("type", "Whitespace"), "pre_tokenizer is Whitespace");
        assertTokenizerRefused(tmp, t -> ((ObjectNode) t.get("pre_tokenizer")).put("add_prefix_space", true), "pre_tokenizer.add_prefix_space");
        assertTokenizerRefused(tmp, t -> t.putObject("normalizer").put("type", "NFC"), "normalizer is NFC");
        assertTokenizerRefused(tmp, t -> ((ObjectNode) t.get("model")).put("ignore_merges", true), "model.ignore_merges is true");
        assertTokenizerRefused(tmp, t -> ((ObjectNode) t.get("model")).put("byte_fallback", true), "model.byte_fallback");
        assertTokenizerRefused(tmp, t -> t.set("pre_tokenizer", llama3PreTokenizer(GgufVocab.LLAMA3_REGEX)), "model.ignore_merges is false");
        assertTokenizerRefused(tmp, t -> {
            t.set("pre_tokenizer", llama3PreTokenizer("\\p{N}{1,3}|\\s+"));
            ((ObjectNode) t.get("model")).put("ignore_merges", true);
        }, "pre_tokenizer.pretokenizers[0].pattern");
        assertTokenizerRefused(tmp, t -> t.set("pre_tokenizer", smolLmPreTokenizer(false)), "individual_digits");
    }

    @Test
    void knowsSmolLmAndLlama3PreTokenizersByLlamaCppsNames(@TempDir Path tmp) throws IOException {
        assertEquals("smollm", preName(tmp, t -> t.set("pre_tokenizer", smolLmPreTokenizer(true))));
        assertEquals("llama-bpe", preName(tmp, t -> {
            t.set("pre_tokenizer", llama3PreTokenizer(GgufVocab.LLAMA3_REGEX));
            ((ObjectNode) t.get("model")).put("ignore_merges", true);
        }));
        assertEquals("gpt-2", preName(tmp, t -> { }));
        // Qwen2's tokenizer.json: its regex (single digits), no ignore_merges, an NFC normalizer.
        assertEquals("qwen2", preName(tmp, t -> t.setAll(qwen2Tokenizer())));
    }

    @Test
    void acceptsNfcOnlyWithQwen2sPreTokenizerAndLlama3sRegexOnlyWithIgnoreMerges(@TempDir Path tmp) throws IOException {
        assertTokenizerRefused(tmp, t -> {
            t.setAll(qwen2Tokenizer());
            ((ObjectNode) t.get("model")).put("ignore_merges", true);
        }, "model.ignore_merges is true");
        assertTokenizerRefused(tmp, t -> {
            t.setAll(qwen2Tokenizer());
            t.putObject("normalizer").put("type", "NFKC");
        }, "normalizer is NFKC");
        assertTokenizerRefused(tmp, t -> {
            t.set("pre_tokenizer", llama3PreTokenizer(GgufVocab.LLAMA3_REGEX));
            ((ObjectNode) t.get("model")).put("ignore_merges", true);
            t.putObject("normalizer").put("type", "NFC");
        }, "normalizer is NFC");
    }

    /** The parts of Qwen2's tokenizer.json that differ from the shipped one: pre_tokenizer, normalizer. */
    static ObjectNode qwen2Tokenizer() {
        ObjectNode t = JSON.createObjectNode();
        t.set("pre_tokenizer", llama3PreTokenizer(GgufVocab.QWEN2_REGEX));
        t.putObject("normalizer").put("type", "NFC");
        return t;
    }

    /** SmolLM2's pre_tokenizer as its tokenizer.json writes it. */
    static ObjectNode smolLmPreTokenizer(boolean individualDigits) {
        ObjectNode p = JSON.createObjectNode().put("type", "Sequence");
        p.putArray("pretokenizers").add(JSON.createObjectNode().put("type", "Digits").put("individual_digits", individualDigits))
                .add(JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true));
        return p;
    }

    /** Llama 3's pre_tokenizer as its tokenizer.json writes it, with the given Split regex. */
    static ObjectNode llama3PreTokenizer(String regex) {
        ObjectNode split = JSON.createObjectNode().put("type", "Split").put("behavior", "Isolated").put("invert", false);
        split.putObject("pattern").put("Regex", regex);
        ObjectNode p = JSON.createObjectNode().put("type", "Sequence");
        p.putArray("pretokenizers").add(split)
                .add(JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false));
        return p;
    }

    /** The tokenizer.ggml.pre a GGUF gets for the shipped tokenizer.json changed by {@code change}. */
    static String preName(Path tmp, Consumer<ObjectNode> change) throws IOException {
        Path dir = tokenizerVariant(tmp, change);
        LlamaConfig small = LlamaConfig.builder().vocabSize(2048).hiddenSize(64).heads(2).kvHeads(1).layers(1).build();
        try (LlamaModel model = LlamaModel.create(small, 1); Tokenizer tok = Tokenizer.load(dir)) {
            GgufExport export = Gguf.write(model, tok, dir.resolve("m.gguf"), GgufOptions.f16());
            return (String) new GgufTestReader(export.file()).metadata.get("tokenizer.ggml.pre");
        }
    }

    /** A folder with the shipped tokenizer files, tokenizer.json changed by {@code change}. */
    static Path tokenizerVariant(Path tmp, Consumer<ObjectNode> change) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "tok");
        ObjectNode t = (ObjectNode) JSON.readTree(MODEL.resolve("tokenizer.json").toFile());
        change.accept(t);
        Files.writeString(dir.resolve("tokenizer.json"), t.toString());
        Files.copy(MODEL.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        return dir;
    }

    // ---- helpers ------------------------------------------------------------------------

    static void assertRefused(Path tmp, Tokenizer tok, Consumer<ObjectNode> change, String expected) throws IOException {
        ObjectNode cfg = (ObjectNode) JSON.readTree(MODEL.resolve("config.json").toFile());
        cfg.put("num_hidden_layers", 1);
        change.accept(cfg);
        Path dir = Files.createTempDirectory(tmp, "cfg");
        Files.writeString(dir.resolve("config.json"), cfg.toString());
        try (LlamaModel model = LlamaModel.create(LlamaConfig.load(dir.resolve("config.json")), 1)) {
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> Gguf.write(model, tok, tmp.resolve("x.gguf"), GgufOptions.f16()));
            assertTrue(e.getMessage().contains(expected), e.getMessage());
        }
    }

    static void assertTokenizerRefused(Path tmp, Consumer<ObjectNode> change, String expected) throws IOException {
        Path dir = tokenizerVariant(tmp, change);
        LlamaConfig small = LlamaConfig.builder().vocabSize(2048).hiddenSize(64).heads(2).kvHeads(1).layers(1).build();
        try (LlamaModel model = LlamaModel.create(small, 1); Tokenizer tok = Tokenizer.load(dir)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Gguf.write(model, tok, tmp.resolve("x.gguf"), GgufOptions.f16()));
            assertTrue(e.getMessage().contains(expected) && e.getMessage().contains("tokenizer.json"), e.getMessage());
        }
    }

    static float[] hf(LlamaModel model, String name) {
        return model.namedParameters().get(name).data().toFloatArray();
    }

    static float[] f32(GgufTestReader r, String name) {
        GgufTestReader.TensorInfo t = r.tensor(name);
        assertEquals(0, t.type(), name + " should be F32");
        long n = 1;
        for (long d : t.ggmlDims()) {
            n *= d;
        }
        ByteBuffer b = r.data(t, 4 * n);
        float[] out = new float[(int) n];
        b.asFloatBuffer().get(out);
        return out;
    }
}
