package dev.tunelab.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config.json files of Llama 2, Llama 3.x, Qwen2.5 and Mistral as published on the Hugging
 * Face Hub (copied from each repository's config.json and generation_config.json), read field by
 * field; parameter counts against the published sizes. Then each field value the decoder cannot
 * honour, refused by name.
 */
class FamilyConfigTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** meta-llama/Llama-2-7b-hf: no rope_theta (transformers' default 10000), pretraining_tp 1, MHA. */
    static final String LLAMA_2_7B = """
            {"architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
             "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 11008, "max_position_embeddings": 4096,
             "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
             "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": null, "tie_word_embeddings": false,
             "torch_dtype": "float16", "transformers_version": "4.31.0.dev0", "use_cache": true, "vocab_size": 32000}""";

    /** meta-llama/Llama-3.2-1B-Instruct. */
    static final String LLAMA_32_1B_INSTRUCT = """
            {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "head_dim": 64, "hidden_act": "silu",
             "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192, "max_position_embeddings": 131072,
             "mlp_bias": false, "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 16,
             "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
             "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                              "original_max_position_embeddings": 8192, "rope_type": "llama3"},
             "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
             "transformers_version": "4.45.0.dev0", "use_cache": true, "vocab_size": 128256}""";
    static final String LLAMA_32_1B_INSTRUCT_GENERATION = """
            {"bos_token_id": 128000, "do_sample": true, "eos_token_id": [128001, 128008, 128009], "temperature": 0.6,
             "top_p": 0.9, "transformers_version": "4.45.0.dev0"}""";

    /** meta-llama/Meta-Llama-3-8B-Instruct: config.json names the turn end, generation_config.json both. */
    static final String LLAMA_3_8B_INSTRUCT = """
            {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "bos_token_id": 128000, "eos_token_id": 128009, "hidden_act": "silu", "hidden_size": 4096,
             "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 8192,
             "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
             "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": null, "rope_theta": 500000.0,
             "tie_word_embeddings": false, "torch_dtype": "bfloat16", "transformers_version": "4.40.0.dev0",
             "use_cache": true, "vocab_size": 128256}""";
    static final String LLAMA_3_8B_INSTRUCT_GENERATION = """
            {"bos_token_id": 128000, "eos_token_id": [128001, 128009], "do_sample": true, "temperature": 0.6,
             "max_length": 4096, "top_p": 0.9, "transformers_version": "4.40.0.dev0"}""";

    /** Qwen/Qwen2.5-0.5B-Instruct: use_sliding_window false with a sliding_window and max_window_layers set. */
    static final String QWEN25_05B_INSTRUCT = """
            {"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
             "eos_token_id": 151645, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
             "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 21,
             "model_type": "qwen2", "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2,
             "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": true,
             "torch_dtype": "bfloat16", "transformers_version": "4.43.1", "use_cache": true,
             "use_sliding_window": false, "vocab_size": 151936}""";
    static final String QWEN25_05B_INSTRUCT_GENERATION = """
            {"bos_token_id": 151643, "pad_token_id": 151643, "do_sample": true, "eos_token_id": [151645, 151643],
             "repetition_penalty": 1.1, "temperature": 0.7, "top_p": 0.8, "top_k": 20, "transformers_version": "4.37.0"}""";

    /** Qwen2.5-1.5B saved by transformers 5: rope_parameters instead of rope_theta, layer_types written out. */
    static final String QWEN25_15B_TRANSFORMERS5 = """
            {"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643, "dtype": "bfloat16",
             "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 1536, "initializer_range": 0.02,
             "intermediate_size": 8960, "layer_types": %s, "max_position_embeddings": 131072, "max_window_layers": 28,
             "model_type": "qwen2", "num_attention_heads": 12, "num_hidden_layers": 28, "num_key_value_heads": 2,
             "pad_token_id": null, "rms_norm_eps": 1e-06, "rope_parameters": {"rope_theta": 1000000.0, "rope_type": "default"},
             "sliding_window": null, "tie_word_embeddings": true, "transformers_version": "5.17.0", "use_cache": true,
             "use_mrope": false, "use_sliding_window": false, "vocab_size": 151936}"""
            .formatted(JSON.valueToTree(java.util.Collections.nCopies(28, "full_attention")));

    /** mistralai/Mistral-7B-v0.1: a 4,096-token sliding window in every layer. */
    static final String MISTRAL_7B_V01 = """
            {"architectures": ["MistralForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
             "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 32768,
             "model_type": "mistral", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
             "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "sliding_window": 4096, "tie_word_embeddings": false,
             "torch_dtype": "bfloat16", "transformers_version": "4.34.0.dev0", "use_cache": true, "vocab_size": 32000}""";

    /** mistralai/Mistral-7B-Instruct-v0.3: sliding_window null (full attention), rope_theta 1e6. */
    static final String MISTRAL_7B_INSTRUCT_V03 = """
            {"architectures": ["MistralForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2,
             "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 14336,
             "max_position_embeddings": 32768, "model_type": "mistral", "num_attention_heads": 32,
             "num_hidden_layers": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 1000000.0,
             "sliding_window": null, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
             "transformers_version": "4.42.0.dev0", "use_cache": true, "vocab_size": 32768}""";

    /** mistralai/Mistral-Nemo-Base-2407: head_dim 128 where hidden_size / heads is 160. */
    static final String MISTRAL_NEMO = """
            {"architectures": ["MistralForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2,
             "head_dim": 128, "hidden_act": "silu", "hidden_size": 5120, "initializer_range": 0.02,
             "intermediate_size": 14336, "max_position_embeddings": 1024000, "model_type": "mistral",
             "num_attention_heads": 32, "num_hidden_layers": 40, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
             "rope_theta": 1000000.0, "sliding_window": null, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
             "transformers_version": "4.43.0.dev0", "use_cache": true, "vocab_size": 131072}""";

    static LlamaConfig load(Path dir, String config, String generationConfig) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config);
        if (generationConfig != null) {
            Files.writeString(dir.resolve("generation_config.json"), generationConfig);
        }
        return LlamaConfig.load(dir.resolve("config.json"));
    }

    @Test
    void llamaConfigsAsPublished(@TempDir Path tmp) throws IOException {
        LlamaConfig llama2 = load(tmp.resolve("llama2"), LLAMA_2_7B, null);
        assertEquals(10000.0, llama2.ropeTheta(), "rope_theta absent: transformers' default");
        assertEquals(128, llama2.headDim());
        assertEquals(List.of(2), llama2.eosTokenIds());
        assertEquals(0, llama2.slidingWindow());
        assertEquals(6_738_415_616L, llama2.parameterCount(), "Llama-2-7b's published size");

        LlamaConfig llama32 = load(tmp.resolve("llama32"), LLAMA_32_1B_INSTRUCT, LLAMA_32_1B_INSTRUCT_GENERATION);
        assertEquals(new LlamaConfig.RopeScaling("llama3", 32, 1, 4, 8192), llama32.ropeScaling());
        assertEquals(500000.0, llama32.ropeTheta());
        assertEquals(List.of(128001, 128008, 128009), llama32.eosTokenIds(), "both files list the same three");
        assertEquals(128001, llama32.eosTokenId());
        assertTrue(llama32.tieWordEmbeddings());
        assertEquals(1_235_814_400L, llama32.parameterCount(), "Llama-3.2-1B's published size");

        LlamaConfig llama3 = load(tmp.resolve("llama3"), LLAMA_3_8B_INSTRUCT, LLAMA_3_8B_INSTRUCT_GENERATION);
        assertEquals(List.of(128009, 128001), llama3.eosTokenIds(), "config.json's turn end, then generation_config.json's end of text");
        assertEquals(8_030_261_248L, llama3.parameterCount(), "Llama-3-8B's published size");
    }

    @Test
    void qwenConfigsAsPublished(@TempDir Path tmp) throws IOException {
        LlamaConfig qwen = load(tmp.resolve("qwen"), QWEN25_05B_INSTRUCT, QWEN25_05B_INSTRUCT_GENERATION);
        assertEquals(0, qwen.slidingWindow(), "use_sliding_window false: sliding_window and max_window_layers do nothing");
        for (int layer = 0; layer < qwen.numHiddenLayers(); layer++) {
            assertEquals(0, qwen.attentionWindow(layer));
        }
        assertEquals(List.of(151645, 151643), qwen.eosTokenIds(), "<|im_end|>, then generation_config.json's <|endoftext|>");
        assertTrue(qwen.attentionBias() && !qwen.attentionOutputBias() && !qwen.mlpBias());
        assertEquals(64, qwen.headDim());
        assertEquals(494_032_768L, qwen.parameterCount() + 24L * (896 + 2 * 128), "Qwen2.5-0.5B's published size, with q/k/v biases");

        LlamaConfig saved = load(tmp.resolve("qwen5"), QWEN25_15B_TRANSFORMERS5, null);
        assertEquals(1_000_000.0, saved.ropeTheta(), "rope_theta from rope_parameters");
        assertNull(saved.ropeScaling());
        assertEquals(0, saved.slidingWindow());
        assertEquals(28, saved.maxWindowLayers(), "28 leading full_attention layers");
        assertEquals(1_543_714_304L, saved.parameterCount() + 28L * (1536 + 2 * 256), "Qwen2.5-1.5B's published size");

        // With use_sliding_window on, the window applies from max_window_layers on (configuration_qwen2.py).
        ObjectNode on = (ObjectNode) JSON.readTree(QWEN25_05B_INSTRUCT);
        on.put("use_sliding_window", true).put("sliding_window", 4096);
        LlamaConfig sliding = load(tmp.resolve("qwen-on"), on.toString(), null);
        assertEquals(0, sliding.attentionWindow(20));
        assertEquals(4096, sliding.attentionWindow(21));
        assertEquals(4096, sliding.attentionWindow(23));
        sliding.save(tmp.resolve("qwen-on-saved.json"));
        assertEquals(sliding, LlamaConfig.load(tmp.resolve("qwen-on-saved.json")));
    }

    @Test
    void mistralConfigsAsPublished(@TempDir Path tmp) throws IOException {
        LlamaConfig v01 = load(tmp.resolve("v01"), MISTRAL_7B_V01, null);
        assertEquals(4096, v01.slidingWindow());
        assertEquals(4096, v01.attentionWindow(0), "every layer slides");
        assertEquals(4096, v01.attentionWindow(31));
        assertTrue(!v01.attentionBias() && !v01.attentionOutputBias() && !v01.mlpBias());
        assertEquals(128, v01.headDim());
        assertEquals(7_241_732_096L, v01.parameterCount(), "Mistral-7B-v0.1's published size");
        v01.save(tmp.resolve("v01-saved.json"));
        assertEquals(v01, LlamaConfig.load(tmp.resolve("v01-saved.json")));

        LlamaConfig v03 = load(tmp.resolve("v03"), MISTRAL_7B_INSTRUCT_V03, null);
        assertEquals(0, v03.slidingWindow(), "sliding_window null: full attention");
        assertEquals(1_000_000.0, v03.ropeTheta());

        ObjectNode absent = (ObjectNode) JSON.readTree(MISTRAL_7B_INSTRUCT_V03);
        absent.remove("sliding_window");
        assertEquals(4096, load(tmp.resolve("absent"), absent.toString(), null).slidingWindow(),
                "sliding_window absent: MistralConfig's default 4096");

        LlamaConfig nemo = load(tmp.resolve("nemo"), MISTRAL_NEMO, null);
        assertEquals(128, nemo.headDim(), "head_dim given, not hidden_size / heads (160)");
        ObjectNode nullHeadDim = (ObjectNode) JSON.readTree(MISTRAL_NEMO);
        nullHeadDim.putNull("head_dim");
        assertEquals(160, load(tmp.resolve("nemo-null"), nullHeadDim.toString(), null).headDim(), "head_dim null: hidden / heads");
    }

    @Test
    void transformers5RopeParametersAreRead() {
        ObjectNode c = (ObjectNode) read(LLAMA_32_1B_INSTRUCT);
        ObjectNode params = (ObjectNode) c.remove("rope_scaling");
        c.remove("rope_theta");
        params.put("rope_theta", 500000.0);
        c.set("rope_parameters", params);
        LlamaConfig v5 = LlamaConfig.fromJson(c);
        assertEquals(LlamaConfig.fromJson(read(LLAMA_32_1B_INSTRUCT)), v5);
    }

    @Test
    void valuesTheDecoderCannotComputeAreRefusedByName() {
        refused(LLAMA_32_1B_INSTRUCT, c -> c.put("hidden_act", "gelu"), "'hidden_act': expected 'silu'", "gelu");
        refused(LLAMA_2_7B, c -> c.set("rope_scaling", read("{\"type\": \"linear\", \"factor\": 2.0}")),
                "'rope_scaling.rope_type': expected 'llama3' or 'default'", "linear");
        refused(LLAMA_2_7B, c -> c.set("rope_scaling", read("{\"type\": \"dynamic\", \"factor\": 2.0}")),
                "'rope_scaling.rope_type'", "dynamic");
        // The YaRN block Qwen2.5's model cards tell users to add for long inputs.
        refused(QWEN25_05B_INSTRUCT, c -> c.set("rope_scaling",
                read("{\"factor\": 4.0, \"original_max_position_embeddings\": 32768, \"type\": \"yarn\"}")),
                "'rope_scaling.rope_type'", "yarn");
        refused(LLAMA_2_7B, c -> c.set("rope_parameters", read("{\"rope_type\": \"longrope\", \"rope_theta\": 10000}")),
                "'rope_parameters.rope_type'", "longrope");
        refused(LLAMA_2_7B, c -> c.set("rope_parameters", read("{\"full_attention\": {\"rope_type\": \"default\"}}")),
                "'rope_parameters': expected one set of RoPE parameters");
        refused(LLAMA_2_7B, c -> c.put("partial_rotary_factor", 0.5), "'partial_rotary_factor': expected 1.0");
        refused(LLAMA_2_7B, c -> c.put("pretraining_tp", 0), "'pretraining_tp': expected a positive integer");
        refused(LLAMA_2_7B, c -> c.set("quantization_config", read("{\"quant_method\": \"gptq\", \"bits\": 4}")),
                "'quantization_config': expected none", "gptq");
        refused(MISTRAL_7B_V01, c -> c.put("sliding_window", 0), "'sliding_window': expected a positive integer or null");
        refused(MISTRAL_7B_V01, c -> c.set("layer_types", read("[\"sliding_attention\", \"full_attention\"]")),
                "'layer_types': expected none for model_type 'mistral'");
        refused(QWEN25_05B_INSTRUCT, c -> c.put("num_hidden_layers", 23)
                .set("layer_types", JSON.valueToTree(java.util.Collections.nCopies(24, "full_attention"))),
                "'layer_types': expected a list of 23 entries");
        ObjectNode alternating = (ObjectNode) read(QWEN25_05B_INSTRUCT);
        var types = alternating.putArray("layer_types");
        for (int i = 0; i < 24; i++) {
            types.add(i % 2 == 0 ? "sliding_attention" : "full_attention");
        }
        refused(alternating.toString(), c -> {}, "'layer_types': expected a list of 24 entries, \"full_attention\" then");
        refused(LLAMA_2_7B, c -> c.put("eos_token_id", "</s>"), "'eos_token_id': expected an integer");
    }

    @Test
    void fieldsThatComputeTheSameAreAccepted() {
        // pretraining_tp > 1 slices the projections and sums the pieces: the same function (modeling_llama.py before 4.48)
        ObjectNode tp = (ObjectNode) read(LLAMA_2_7B);
        tp.put("pretraining_tp", 2);
        assertEquals(LlamaConfig.fromJson(read(LLAMA_2_7B)), LlamaConfig.fromJson(tp));
        // activations.py maps "swish" to SiLU too
        ObjectNode swish = (ObjectNode) read(LLAMA_2_7B);
        swish.put("hidden_act", "swish");
        assertEquals(LlamaConfig.fromJson(read(LLAMA_2_7B)), LlamaConfig.fromJson(swish));
        // Mistral and Qwen2 have no o_proj or MLP biases whatever attention_bias / mlp_bias say: their classes do not read them
        ObjectNode mistral = (ObjectNode) read(MISTRAL_7B_V01);
        mistral.put("attention_bias", true).put("mlp_bias", true);
        assertEquals(LlamaConfig.fromJson(read(MISTRAL_7B_V01)), LlamaConfig.fromJson(mistral));
    }

    @Test
    void builderKeepsFamiliesConsistent() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LlamaConfig.builder().slidingWindow(8).build());
        assertTrue(e.getMessage().contains("'sliding_window'") && e.getMessage().contains("'llama'"), e.getMessage());
        LlamaConfig qwen = LlamaConfig.builder().modelType("qwen2").build();
        assertTrue(qwen.attentionBias() && !qwen.attentionOutputBias());
        e = assertThrows(IllegalArgumentException.class,
                () -> LlamaConfig.builder().modelType("mistral").mlpBias(true).build());
        assertTrue(e.getMessage().contains("no biases for model_type 'mistral'"), e.getMessage());
    }

    @Test
    void generationConfigErrorsNameTheFile(@TempDir Path tmp) {
        IOException e = assertThrows(IOException.class,
                () -> load(tmp, LLAMA_2_7B, "{\"eos_token_id\": [\"</s>\"]}"));
        assertTrue(e.getMessage().startsWith(tmp.resolve("generation_config.json").toString())
                && e.getMessage().contains("'eos_token_id'"), e.getMessage());
    }

    static com.fasterxml.jackson.databind.JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void refused(String base, java.util.function.Consumer<ObjectNode> edit, String... expected) {
        ObjectNode c = (ObjectNode) read(base);
        edit.accept(c);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(c), c.toString());
        for (String part : expected) {
            assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
        }
        assertTrue(e.getMessage().startsWith("config field '"), e.getMessage());
    }
}
