package dev.tunelab.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.io.SafeTensors;
import dev.tunelab.io.SafeTensorsFile;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEFT's adapter folder: names, fields, round trips of every adapter kind, and clear errors. */
class AdapterFilesTest {
    static final ObjectMapper JSON = new ObjectMapper();

    private static PeftModel trainedLora(LlamaModel model) {
        PeftModel peft = Lora.apply(model, LoraConfig.builder().r(4).alpha(16).dropout(0.05).allLinear()
                .baseModelNameOrPath("tiny-test").build());
        Random random = new Random(7);
        Lora.layers(model).values().forEach(l -> TinyModels.randomize(l.loraB("default"), random, 0.2));
        return peft;
    }

    @Test
    void loraSavesPeftNamesAndFieldsAndLoadsBack(@TempDir Path tmp) throws Exception {
        float[] expected;
        try (LlamaModel model = TinyModels.model(1)) {
            PeftModel peft = trainedLora(model);
            expected = TinyModels.logits(model);
            peft.save(tmp);
        }
        JsonNode config = JSON.readTree(tmp.resolve("adapter_config.json").toFile());
        assertEquals("LORA", config.get("peft_type").asText());
        assertEquals("CAUSAL_LM", config.get("task_type").asText());
        assertEquals(4, config.get("r").asInt());
        assertTrue(config.get("lora_alpha").isIntegralNumber(), "PEFT writes lora_alpha as an int");
        assertEquals(16, config.get("lora_alpha").asInt());
        assertEquals(0.05, config.get("lora_dropout").asDouble(), 0);
        assertEquals("none", config.get("bias").asText());
        assertEquals(false, config.get("use_rslora").asBoolean());
        assertEquals(false, config.get("fan_in_fan_out").asBoolean());
        assertTrue(config.get("modules_to_save").isNull());
        assertEquals(true, config.get("inference_mode").asBoolean());
        assertEquals("tiny-test", config.get("base_model_name_or_path").asText());
        assertEquals("[\"down_proj\",\"gate_proj\",\"k_proj\",\"o_proj\",\"q_proj\",\"up_proj\",\"v_proj\"]",
                config.get("target_modules").toString(), "all-linear is saved as the names it matched, as PEFT does");
        try (SafeTensorsFile f = SafeTensors.open(tmp.resolve("adapter_model.safetensors"))) {
            assertEquals(2 * 2 * 7, f.size());
            assertTrue(f.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), f.names().toString());
            assertTrue(f.contains("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"));
            assertEquals(java.util.List.of(4L, 16L), java.util.Arrays.stream(
                    f.info("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").shape()).boxed().toList());
            assertEquals("pt", f.metadata().get("format"));
        }
        try (LlamaModel fresh = TinyModels.model(1)) {
            PeftModel loaded = PeftModel.load(fresh, tmp);
            assertEquals(PeftType.LORA, loaded.type());
            assertArrayEquals(expected, TinyModels.logits(fresh), "same adapter, same logits");
            LoraConfig c = (LoraConfig) loaded.config();
            assertEquals(4, c.r());
            assertEquals(16, c.alpha(), 0);
            assertEquals(4 * 2 * 7 * 2 * 16 - 4 * 2 * (16 - 8) * 2 + 4 * 2 * (32 - 16) * 3, loaded.parameterCounts().trainable(),
                    "r (in + out) summed over the 14 layers");
        }
    }

    @Test
    void adapterThatDoesNotFitTheBaseNamesKeyAndShapes(@TempDir Path tmp) throws Exception {
        try (LlamaModel model = TinyModels.model(1)) {
            trainedLora(model).save(tmp);
        }
        LlamaConfig wider = TinyModels.config().toBuilder().hiddenSize(24).heads(4).build();
        try (LlamaModel other = LlamaModel.create(wider, 1)) {
            float[] before = TinyModels.logits(other);
            var e = assertThrows(AdapterFormatException.class, () -> PeftModel.load(other, tmp));
            String m = e.getMessage();
            assertTrue(m.contains("adapter_model.safetensors"), m);
            assertTrue(m.contains("'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' has shape (4, 16)"), m);
            assertTrue(m.contains("needs (4, 24)"), m);
            assertTrue(Lora.layers(other).isEmpty(), "a failed load leaves no adapter behind");
            assertArrayEquals(before, TinyModels.logits(other));
        }
    }

    @Test
    void malformedConfigNamesFileAndField(@TempDir Path tmp) throws Exception {
        try (LlamaModel model = TinyModels.model(1)) {
            trainedLora(model).save(tmp);
        }
        Path config = tmp.resolve("adapter_config.json");
        ObjectNode good = (ObjectNode) JSON.readTree(config.toFile());
        expectConfigError(tmp, good, n -> n.without("r"), "missing field 'r'");
        expectConfigError(tmp, good, n -> n.without("lora_alpha"), "missing field 'lora_alpha'");
        expectConfigError(tmp, good, n -> n.without("peft_type"), "missing field 'peft_type'");
        expectConfigError(tmp, good, n -> n.put("r", "eight"), "field 'r': expected an integer");
        expectConfigError(tmp, good, n -> n.put("peft_type", "LOHA"), "field 'peft_type': expected one of");
        expectConfigError(tmp, good, n -> n.put("fan_in_fan_out", true), "field 'fan_in_fan_out'");
        expectConfigError(tmp, good, n -> n.put("use_qalora", true), "field 'use_qalora'");
        expectConfigError(tmp, good, n -> n.put("init_lora_weights", "eva"), "field 'init_lora_weights': init_lora_weights 'eva' is not supported");
        expectConfigError(tmp, good, n -> n.put("init_lora_weights", "pissa_niter_x"), "field 'init_lora_weights'");
        expectConfigError(tmp, good, n -> {
            n.put("init_lora_weights", "loftq");
            n.putObject("loftq_config").put("loftq_bits", 8).put("loftq_iter", 1);
            return n;
        }, "field 'loftq_config.loftq_bits'");
        expectConfigError(tmp, good, n -> {
            n.putObject("loftq_config").put("loftq_bits", 4).put("loftq_iter", 1);
            return n;
        }, "field 'loftq_config': set only with init_lora_weights \"loftq\"");
        expectConfigError(tmp, good, n -> n.put("init_lora_weights", "loftq"), "field 'loftq_config'");
        expectConfigError(tmp, good, n -> n.put("task_type", "SEQ_2_SEQ_LM"), "field 'task_type'");
        expectConfigError(tmp, good, n -> n.put("exclude_modules", "q_proj"), "field 'exclude_modules'");
        Files.writeString(config, "{\"peft_type\": ");
        try (LlamaModel model = TinyModels.model(1)) {
            var e = assertThrows(AdapterFormatException.class, () -> PeftModel.load(model, tmp));
            assertTrue(e.getMessage().contains(config + ": not valid JSON"), e.getMessage());
        }
    }

    private static void expectConfigError(Path dir, ObjectNode good, Function<ObjectNode, ObjectNode> change, String field)
            throws Exception {
        Path config = dir.resolve("adapter_config.json");
        Files.writeString(config, change.apply(good.deepCopy()).toString());
        try (LlamaModel model = TinyModels.model(1)) {
            var e = assertThrows(AdapterFormatException.class, () -> PeftModel.load(model, dir));
            assertTrue(e.getMessage().startsWith(config.toString() + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(field), e.getMessage());
        }
    }

    @Test
    void anAdaptedModelIsNotSavedAsABrokenCheckpoint(@TempDir Path tmp) {
        try (LlamaModel model = TinyModels.model(1)) {
            Lora.apply(model, LoraConfig.builder().build());
            var e = assertThrows(IllegalStateException.class, () -> model.save(tmp));
            assertTrue(e.getMessage().contains("mergeAndUnload"), e.getMessage());
        }
    }

    @Test
    void missingFilesAreNamed(@TempDir Path tmp) throws Exception {
        try (LlamaModel model = TinyModels.model(1)) {
            var e = assertThrows(AdapterFormatException.class, () -> PeftModel.load(model, tmp));
            assertTrue(e.getMessage().contains("adapter_config.json"), e.getMessage());
        }
    }

    @Test
    void ia3RoundTrip(@TempDir Path tmp) throws Exception {
        float[] expected;
        try (LlamaModel model = TinyModels.model(1)) {
            PeftModel peft = Ia3.apply(model, Ia3Config.builder().build());
            Random random = new Random(3);
            Ia3.layers(model).values().forEach(l -> TinyModels.randomize(l.scale(), random, 1.0));
            expected = TinyModels.logits(model);
            peft.save(tmp);
        }
        JsonNode config = JSON.readTree(tmp.resolve("adapter_config.json").toFile());
        assertEquals("IA3", config.get("peft_type").asText());
        assertEquals("[\"down_proj\"]", config.get("feedforward_modules").toString());
        try (SafeTensorsFile f = SafeTensors.open(tmp.resolve("adapter_model.safetensors"))) {
            assertEquals(6, f.size());
            // PEFT's layouts: (out, 1) for k/v (2 KV heads x 4), (1, in) for down_proj (intermediate 32)
            assertArrayEquals(new long[] {8, 1}, f.info("base_model.model.model.layers.0.self_attn.k_proj.ia3_l").shape());
            assertArrayEquals(new long[] {1, 32}, f.info("base_model.model.model.layers.1.mlp.down_proj.ia3_l").shape());
        }
        try (LlamaModel fresh = TinyModels.model(1)) {
            PeftModel.load(fresh, tmp);
            assertArrayEquals(expected, TinyModels.logits(fresh));
        }
    }

    @Test
    void promptTuningRoundTrip(@TempDir Path tmp) throws Exception {
        float[] expected;
        try (LlamaModel model = TinyModels.model(1)) {
            PeftModel peft = PromptTuning.apply(model, PromptTuningConfig.builder().numVirtualTokens(3).seed(4).build());
            expected = TinyModels.logits(model);
            peft.save(tmp);
        }
        JsonNode config = JSON.readTree(tmp.resolve("adapter_config.json").toFile());
        assertEquals("PROMPT_TUNING", config.get("peft_type").asText());
        assertEquals(3, config.get("num_virtual_tokens").asInt());
        assertEquals(16, config.get("token_dim").asInt());
        assertEquals(2, config.get("num_layers").asInt());
        assertEquals("RANDOM", config.get("prompt_tuning_init").asText());
        try (SafeTensorsFile f = SafeTensors.open(tmp.resolve("adapter_model.safetensors"))) {
            assertEquals(java.util.List.of("prompt_embeddings"), f.names());
            assertArrayEquals(new long[] {3, 16}, f.info("prompt_embeddings").shape());
        }
        try (LlamaModel fresh = TinyModels.model(1)) {
            PeftModel.load(fresh, tmp);
            assertArrayEquals(expected, TinyModels.logits(fresh));
        }
    }

    @Test
    void prefixTuningWithProjectionSavesTheTableAndLoadsBack(@TempDir Path tmp) throws Exception {
        float[] expected;
        try (LlamaModel model = TinyModels.model(1)) {
            PeftModel peft = PrefixTuning.apply(model, PrefixTuningConfig.builder().numVirtualTokens(3).prefixProjection(true)
                    .encoderHiddenSize(12).seed(2).build());
            expected = TinyModels.logits(model);
            peft.save(tmp);
        }
        JsonNode config = JSON.readTree(tmp.resolve("adapter_config.json").toFile());
        assertEquals("PREFIX_TUNING", config.get("peft_type").asText());
        assertEquals(8, config.get("token_dim").asInt(), "per KV head: 2 KV heads x head_dim 4");
        assertEquals(2, config.get("num_attention_heads").asInt());
        assertEquals(true, config.get("prefix_projection").asBoolean());
        try (SafeTensorsFile f = SafeTensors.open(tmp.resolve("adapter_model.safetensors"))) {
            assertArrayEquals(new long[] {3, 2 * 2 * 8}, f.info("prompt_embeddings").shape(), "(P, layers * 2 * token_dim)");
        }
        try (LlamaModel fresh = TinyModels.model(1)) {
            PeftModel loaded = PeftModel.load(fresh, tmp);
            assertEquals(3 * 32, loaded.parameterCounts().trainable(), "loaded for inference: the table only, no MLP");
            assertTrue(TinyModels.maxAbsDiff(expected, TinyModels.logits(fresh)) < 1e-5);
        }
        try (LlamaModel otherDepth = LlamaModel.create(TinyModels.config().toBuilder().layers(3).build(), 1)) {
            var e = assertThrows(AdapterFormatException.class, () -> PeftModel.load(otherDepth, tmp));
            assertTrue(e.getMessage().contains("field 'num_layers': the base model needs 3, got 2"), e.getMessage());
        }
    }

    @Test
    void secondNamedAdapterLoadsNextToTheFirst(@TempDir Path tmp) throws Exception {
        float[] expected;
        try (LlamaModel model = TinyModels.model(1)) {
            PeftModel peft = trainedLora(model);
            expected = TinyModels.logits(model);
            peft.save(tmp.resolve("a"));
        }
        try (LlamaModel model = TinyModels.model(1)) {
            float[] base = TinyModels.logits(model);
            PeftModel peft = Lora.apply(model, LoraConfig.builder().r(2).targetModules("q_proj").build());
            peft.loadAdapter(tmp.resolve("a"), "trained");
            assertArrayEquals(base, TinyModels.logits(model), "the fresh default adapter is still active");
            peft.setAdapter("trained");
            assertArrayEquals(expected, TinyModels.logits(model));
            peft.save(tmp.resolve("b"), "trained");
            assertEquals(JSON.readTree(tmp.resolve("a/adapter_config.json").toFile()),
                    JSON.readTree(tmp.resolve("b/adapter_config.json").toFile()));
        }
    }

    @Test
    void shapeOfLoadedLoraFollowsTheFile(@TempDir Path tmp) throws Exception {
        try (LlamaModel model = TinyModels.model(1)) {
            Lora.apply(model, LoraConfig.builder().r(2).alpha(2).useRslora(true).targetModules("v_proj").build()).save(tmp);
        }
        try (LlamaModel fresh = TinyModels.model(1)) {
            PeftModel loaded = PeftModel.load(fresh, tmp);
            assertTrue(((LoraConfig) loaded.config()).useRslora());
            assertEquals(new Shape(8, 2), Lora.layers(fresh).get("model.layers.0.self_attn.v_proj").loraB("default").data().getShape());
        }
    }
}
