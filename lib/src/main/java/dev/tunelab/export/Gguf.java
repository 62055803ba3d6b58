package dev.tunelab.export;

import dev.tunelab.io.FloatRows;
import dev.tunelab.io.GgmlType;
import dev.tunelab.io.GgufWriter;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Writes a Llama, Mistral or Qwen2 model and its tokenizer as one GGUF file that llama.cpp (and
 * Ollama, LM Studio, ...) run, with the metadata keys and tensor names llama.cpp's
 * {@code convert_hf_to_gguf.py} writes for the Hugging Face class, and a byte-level BPE tokenizer
 * ({@link GgufVocab}).
 *
 * <pre>{@code
 * Gguf.write(lm.model(), lm.tokenizer(), Path.of("model-q8_0.gguf"), GgufOptions.q8_0());
 * // a LoRA model: merge first
 * Gguf.write(peft.mergeAndUnload(), tokenizer, Path.of("tuned-f16.gguf"), GgufOptions.f16());
 * }</pre>
 *
 * <p>Architectures, as the converter maps them: {@code LlamaForCausalLM} and
 * {@code MistralForCausalLM} both become llama.cpp's {@code llama} (its {@code LlamaModel} class
 * registers both), {@code Qwen2ForCausalLM} becomes {@code qwen2} (keys {@code qwen2.*}, and
 * {@code blk.N.attn_q/k/v.bias}). Q and K rows are reordered for the {@code llama} architecture's
 * rotary embedding ({@link RopeRowOrder}); {@code qwen2} rotates halves as transformers does
 * (llama.cpp's NEOX rope), so its converter, {@code Qwen2Model}, writes them as they are.
 *
 * <p>Tensor names: {@code token_embd}, {@code blk.N.attn_norm}, {@code blk.N.attn_q/k/v/output},
 * {@code blk.N.ffn_norm}, {@code blk.N.ffn_gate/up/down}, {@code output_norm}, {@code output}
 * (absent when the embedding is tied; llama.cpp then reuses {@code token_embd}).
 *
 * <p>Llama 3's rope scaling is written as llama.cpp's {@code rope_freqs.weight} factors.
 * Refused, with the field named: adapters or quantized layers still attached, biases outside
 * Qwen2's q/k/v, another rope scaling (any for Qwen2), a sliding window shorter than the context
 * (neither llama.cpp architecture has sliding-window attention, so the file would compute
 * something else), tokenizers llama.cpp would split differently ({@link GgufVocab}).
 */
public final class Gguf {
    private Gguf() {}

    /** Writes {@code file} (atomically) and says what it holds. */
    public static GgufExport write(LlamaModel model, Tokenizer tokenizer, Path file, GgufOptions options) throws IOException {
        LlamaConfig c = model.config();
        checkRepresentable(model);
        GgufVocab vocab = GgufVocab.of(tokenizer, c.vocabSize());

        String arch = architecture(c);
        boolean qwen2 = arch.equals("qwen2");
        GgufWriter w = new GgufWriter();
        // Metadata, in the order and with the types convert_hf_to_gguf.py uses (u32 sizes, f32 numbers).
        w.putString("general.architecture", arch);
        w.putString("general.type", "model");
        w.putString("general.name", options.name() != null ? options.name()
                : file.getFileName().toString().replaceFirst("\\.gguf$", ""));
        w.putU32(arch + ".block_count", c.numHiddenLayers());
        w.putU32(arch + ".context_length", c.maxPositionEmbeddings());
        w.putU32(arch + ".embedding_length", c.hiddenSize());
        w.putU32(arch + ".feed_forward_length", c.intermediateSize());
        w.putU32(arch + ".attention.head_count", c.numAttentionHeads());
        w.putU32(arch + ".attention.head_count_kv", c.numKeyValueHeads());
        w.putF32(arch + ".rope.freq_base", c.ropeTheta());
        w.putF32(arch + ".attention.layer_norm_rms_epsilon", c.rmsNormEps());
        w.putU32(arch + ".attention.key_length", c.headDim());
        w.putU32(arch + ".attention.value_length", c.headDim());
        w.putU32("general.file_type", options.fileType());
        if (!qwen2) {
            // Only the converter's LlamaModel adds these two; Qwen2Model leaves them to llama.cpp's
            // defaults (the vocabulary's length, the head size), which are the same numbers.
            w.putU32(arch + ".vocab_size", c.vocabSize());
            w.putU32(arch + ".rope.dimension_count", c.headDim());
        }
        w.putU32("general.quantization_version", 2); // GGML_QNT_VERSION

        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", vocab.pre());
        w.putStrings("tokenizer.ggml.tokens", vocab.tokens());
        w.putI32s("tokenizer.ggml.token_type", vocab.types());
        w.putStrings("tokenizer.ggml.merges", vocab.merges());
        putId(w, "tokenizer.ggml.bos_token_id", tokenizer.bosId().orElse(c.bosTokenId()));
        putId(w, "tokenizer.ggml.eos_token_id", tokenizer.eosId().orElse(c.eosTokenId()));
        putId(w, "tokenizer.ggml.unknown_token_id", tokenizer.unkId().orElse(-1));
        putId(w, "tokenizer.ggml.padding_token_id", tokenizer.padId().orElse(c.padTokenId()));
        // What tunelab's tokenizer does with add_special_tokens (tokenizer_config.json or the
        // post-processor), so llama.cpp encodes a prompt to the same ids.
        long[] empty = tokenizer.encode("");
        boolean addsBos = tokenizer.bosId().isPresent() && empty.length > 0 && empty[0] == tokenizer.bosId().getAsLong();
        boolean addsEos = tokenizer.eosId().isPresent() && empty.length > 0 && empty[empty.length - 1] == tokenizer.eosId().getAsLong()
                && !(addsBos && empty.length == 1);
        w.putBool("tokenizer.ggml.add_bos_token", addsBos);
        w.putBool("tokenizer.ggml.add_eos_token", addsEos);
        tokenizer.chatTemplate().ifPresent(t -> w.putString("tokenizer.chat_template", t));

        List<GgufExport.Tensor> listed = new ArrayList<>();
        if (c.ropeScaling() != null) {
            float[] factors = llama3RopeFactors(c);
            w.addTensor("rope_freqs.weight", GgmlType.F32, new long[] {factors.length}, FloatRows.of(factors));
            listed.add(new GgufExport.Tensor("rope_freqs.weight", new long[] {factors.length}, GgmlType.F32));
        }
        Map<String, Parameter> p = model.namedParameters();
        addTensor(w, listed, "token_embd.weight", p.get("model.embed_tokens.weight"), null, options);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String hf = "model.layers." + i + ".";
            String gg = "blk." + i + ".";
            addTensor(w, listed, gg + "attn_norm.weight", p.get(hf + "input_layernorm.weight"), null, options);
            // llama: Q/K rows reordered for llama.cpp's rope; qwen2 (NEOX rope) keeps transformers' order.
            Integer qHeads = qwen2 ? null : c.numAttentionHeads();
            Integer kHeads = qwen2 ? null : c.numKeyValueHeads();
            addTensor(w, listed, gg + "attn_q.weight", p.get(hf + "self_attn.q_proj.weight"), qHeads, options);
            addTensor(w, listed, gg + "attn_k.weight", p.get(hf + "self_attn.k_proj.weight"), kHeads, options);
            addTensor(w, listed, gg + "attn_v.weight", p.get(hf + "self_attn.v_proj.weight"), null, options);
            if (qwen2) {
                addTensor(w, listed, gg + "attn_q.bias", p.get(hf + "self_attn.q_proj.bias"), null, options);
                addTensor(w, listed, gg + "attn_k.bias", p.get(hf + "self_attn.k_proj.bias"), null, options);
                addTensor(w, listed, gg + "attn_v.bias", p.get(hf + "self_attn.v_proj.bias"), null, options);
            }
            addTensor(w, listed, gg + "attn_output.weight", p.get(hf + "self_attn.o_proj.weight"), null, options);
            addTensor(w, listed, gg + "ffn_norm.weight", p.get(hf + "post_attention_layernorm.weight"), null, options);
            addTensor(w, listed, gg + "ffn_gate.weight", p.get(hf + "mlp.gate_proj.weight"), null, options);
            addTensor(w, listed, gg + "ffn_up.weight", p.get(hf + "mlp.up_proj.weight"), null, options);
            addTensor(w, listed, gg + "ffn_down.weight", p.get(hf + "mlp.down_proj.weight"), null, options);
        }
        addTensor(w, listed, "output_norm.weight", p.get("model.norm.weight"), null, options);
        if (!c.tieWordEmbeddings()) {
            addTensor(w, listed, "output.weight", p.get("lm_head.weight"), null, options);
        }
        w.write(file);
        return new GgufExport(file, Files.size(file), List.copyOf(listed));
    }

    /**
     * Adds one weight: vectors (the norms, Qwen2's biases) as F32, matrices as
     * {@code options.matrices()}, or F16 when Q8_0 blocks do not fit the row length (as
     * convert_hf_to_gguf.py falls back).
     *
     * @param ropeHeads for q_proj/k_proj, the head count whose rows are reordered; else null
     */
    private static void addTensor(GgufWriter w, List<GgufExport.Tensor> listed, String name, Parameter parameter,
            Integer ropeHeads, GgufOptions options) {
        long[] shape = parameter.data().getShape().getShape();
        FloatRows rows = FloatRows.of(parameter.data());
        if (ropeHeads != null) {
            rows = new RopeRowOrder(rows, ropeHeads);
        }
        GgmlType type = shape.length == 1 ? GgmlType.F32 : options.matrices();
        if (type == GgmlType.Q8_0 && shape[shape.length - 1] % GgmlType.Q8_0.blockSize != 0) {
            type = GgmlType.F16;
        }
        w.addTensor(name, type, shape, rows);
        listed.add(new GgufExport.Tensor(name, shape, type));
    }

    /**
     * Llama 3's rope scaling as llama.cpp holds it: one divisor per frequency, {@code rope_freqs.weight}
     * ({@code generate_extra_tensors} of convert_hf_to_gguf.py's LlamaModel). Long wavelengths are
     * divided by {@code factor}, short ones kept, the band between interpolated, exactly as
     * transformers' {@code _compute_llama3_parameters} changes the inverse frequencies.
     */
    static float[] llama3RopeFactors(LlamaConfig c) {
        LlamaConfig.RopeScaling rs = c.ropeScaling();
        double lowFreqWavelen = rs.originalMaxPositionEmbeddings() / rs.lowFreqFactor();
        double highFreqWavelen = rs.originalMaxPositionEmbeddings() / rs.highFreqFactor();
        float[] factors = new float[c.headDim() / 2];
        for (int i = 0; i < factors.length; i++) {
            double wavelen = 2 * Math.PI * Math.pow(c.ropeTheta(), 2.0 * i / c.headDim());
            if (wavelen < highFreqWavelen) {
                factors[i] = 1;
            } else if (wavelen > lowFreqWavelen) {
                factors[i] = (float) rs.factor();
            } else {
                double smooth = (rs.originalMaxPositionEmbeddings() / wavelen - rs.lowFreqFactor())
                        / (rs.highFreqFactor() - rs.lowFreqFactor());
                factors[i] = (float) (1 / ((1 - smooth) / rs.factor() + smooth));
            }
        }
        return factors;
    }

    /** llama.cpp's architecture for a model_type: Mistral is {@code llama} (convert_hf_to_gguf.py's LlamaModel). */
    static String architecture(LlamaConfig c) {
        return c.modelType().equals("qwen2") ? "qwen2" : "llama";
    }

    private static void putId(GgufWriter w, String key, long id) {
        if (id >= 0) {
            w.putU32(key, id);
        }
    }

    /** Refuses, naming the field, whatever the {@code llama} architecture written here cannot hold. */
    static void checkRepresentable(LlamaModel model) {
        LlamaConfig c = model.config();
        Set<String> names = model.namedParameters().keySet();
        if (!names.equals(LlamaModel.expectedShapes(c).keySet())) {
            Set<String> odd = new TreeSet<>(names);
            odd.removeAll(LlamaModel.expectedShapes(c).keySet());
            throw new IllegalStateException("cannot export to GGUF: the model has adapter or quantized layers (e.g. "
                    + odd.stream().limit(3).toList() + "); merge the adapter first (PeftModel.mergeAndUnload)");
        }
        List<String> refused = new ArrayList<>();
        String arch = architecture(c);
        // Qwen2's q/k/v biases are checked by LlamaConfig (model_type 'qwen2' has exactly those);
        // the llama architecture has none.
        if (arch.equals("llama") && (c.attentionBias() || c.attentionOutputBias())) {
            refused.add("attention_bias is true, expected false (llama.cpp's llama architecture has no biases)");
        }
        if (c.mlpBias()) {
            refused.add("mlp_bias is true, expected false (biases are not written)");
        }
        if (arch.equals("qwen2") && c.headDim() * c.numAttentionHeads() != c.hiddenSize()) {
            // llama.cpp b4916 (de.kherud:llama 4.2.0) creates qwen2's attn_q as {n_embd, n_embd}.
            refused.add("head_dim " + c.headDim() + " x num_attention_heads " + c.numAttentionHeads()
                    + " is not hidden_size " + c.hiddenSize() + " (llama.cpp's qwen2 expects them equal)");
        }
        for (int layer = 0; layer < c.numHiddenLayers(); layer++) {
            int window = c.attentionWindow(layer);
            if (window > 0 && window < c.maxPositionEmbeddings()) {
                // convert_hf_to_gguf.py writes no window for either class, and neither llama.cpp graph
                // masks by one: past `window` tokens llama.cpp would attend where the model does not.
                refused.add("sliding_window is " + window + " (layer " + layer + (arch.equals("qwen2")
                        ? ", from max_window_layers " + c.maxWindowLayers() + " on, as use_sliding_window is true" : "")
                        + "), shorter than max_position_embeddings " + c.maxPositionEmbeddings()
                        + ": llama.cpp's " + arch + " architecture has no sliding-window attention; expected no window"
                        + " (sliding_window null, as Mistral v0.2/v0.3 ship) or one at least the context");
                break;
            }
        }
        if (arch.equals("qwen2") && c.ropeScaling() != null) {
            refused.add("rope_scaling.rope_type is '" + c.ropeScaling().type() + "', expected none for Qwen2"
                    + " (llama.cpp's qwen2 reads no rope_freqs)");
        }
        if (c.ropeScaling() != null && !c.ropeScaling().type().equals("llama3")) {
            refused.add("rope_scaling.rope_type is '" + c.ropeScaling().type() + "', expected none or 'llama3'");
        }
        if (!refused.isEmpty()) {
            throw new IllegalArgumentException("cannot export to GGUF: config " + String.join("; ", refused));
        }
        for (var e : model.namedParameters().entrySet()) {
            long[] shape = e.getValue().data().getShape().getShape();
            if (shape.length > 2) {
                throw new IllegalStateException("cannot export to GGUF: tensor '" + e.getKey() + "' has shape " + Arrays.toString(shape));
            }
        }
    }
}
