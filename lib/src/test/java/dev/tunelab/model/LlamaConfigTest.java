package dev.tunelab.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaConfigTest {
    @Test
    void readsQwenStyleDefaultsAndRoundTrips(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, """
                {"model_type": "qwen2", "vocab_size": 151936, "hidden_size": 896, "intermediate_size": 4864,
                 "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
                 "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "max_position_embeddings": 32768,
                 "tie_word_embeddings": true, "bos_token_id": 151643, "eos_token_id": [151645, 151643]}""");
        LlamaConfig c = LlamaConfig.load(f);
        assertEquals(64, c.headDim(), "head_dim defaults to hidden / heads");
        assertTrue(c.attentionBias(), "Qwen2 has q/k/v biases");
        assertEquals(false, c.attentionOutputBias(), "and no o_proj bias");
        assertEquals(151645, c.eosTokenId(), "first of a list of eos ids");
        assertEquals(-1, c.padTokenId());
        assertNull(c.ropeScaling());
        c.save(tmp.resolve("out.json"));
        assertEquals(c, LlamaConfig.load(tmp.resolve("out.json")));
        assertEquals(494_032_768L, c.parameterCount() + 24L * (896 + 2 * 128), "Qwen2-0.5B's published size");
    }

    @Test
    void badFieldsAreNamed(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, "{\"model_type\": \"llama\", \"hidden_size\": \"big\"}");
        IOException e = assertThrows(IOException.class, () -> LlamaConfig.load(f));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("'hidden_size'")
                && e.getMessage().contains("expected an integer"), e.getMessage());

        Files.writeString(f, "{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_attention_heads\": 4}");
        e = assertThrows(IOException.class, () -> LlamaConfig.load(f));
        assertTrue(e.getMessage().contains("missing config field 'vocab_size'"), e.getMessage());

        Files.writeString(f, "{\"model_type\": \"gpt2\", \"architectures\": [\"GPT2LMHeadModel\"], \"n_embd\": 768}");
        e = assertThrows(IOException.class, () -> LlamaConfig.load(f));
        assertTrue(e.getMessage().contains("'model_type'") && e.getMessage().contains("gpt2")
                && e.getMessage().contains("GPT2LMHeadModel"), e.getMessage());

        Files.writeString(f, "{not json");
        e = assertThrows(IOException.class, () -> LlamaConfig.load(f));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void llama3ScalingChangesOnlyLowFrequencies() {
        LlamaConfig plain = LlamaConfig.builder().hiddenSize(128).heads(1).kvHeads(1).ropeTheta(500000).build();
        LlamaConfig scaled = plain.toBuilder()
                .ropeScaling(new LlamaConfig.RopeScaling("llama3", 8, 1, 4, 8192)).build();
        double[] a = Rotary.inverseFrequencies(plain);
        double[] b = Rotary.inverseFrequencies(scaled);
        // wavelength 2*pi/f < 8192/4 = 2048 is kept; > 8192 is divided by 8; between is blended
        for (int i = 0; i < a.length; i++) {
            double wavelength = 2 * Math.PI / a[i];
            if (wavelength < 2048) {
                assertEquals(a[i], b[i], 0);
            } else if (wavelength > 8192) {
                assertEquals(a[i] / 8, b[i], 1e-15);
            } else {
                assertTrue(b[i] < a[i] && b[i] > a[i] / 8);
            }
        }
    }
}
