/**
 * Export for other runtimes: {@link dev.tunelab.export.Gguf} writes a Llama, Mistral or
 * Qwen2 model and its tokenizer as one GGUF file for llama.cpp (F32, F16, BF16 or Q8_0
 * matrices). Hugging Face checkpoints (fp32/fp16/bf16, sharded) are written by
 * {@link dev.tunelab.model.LlamaModel#save(java.nio.file.Path, dev.tunelab.io.SaveOptions)}.
 */
package dev.tunelab.export;
