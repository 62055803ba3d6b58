package dev.tunelab.export;

import dev.tunelab.io.GgmlType;

/**
 * How {@link Gguf} writes a model for llama.cpp: the type of its weight matrices (norm weights are
 * always F32, as llama.cpp's {@code convert_hf_to_gguf.py} writes them) and the name stored in
 * {@code general.name}.
 *
 * <pre>{@code
 * lm.saveGguf(Path.of("story-q8_0.gguf"), GgufOptions.q8_0());
 * lm.saveGguf(Path.of("story-f16.gguf"), GgufOptions.f16().name("story teller"));
 * }</pre>
 *
 * @param matrices F32, F16, BF16 or Q8_0 (as {@code --outtype f32|f16|bf16|q8_0}); a Q8_0 matrix
 *     whose rows are not a multiple of 32 long is written F16, as the converter does, and listed so
 *     in the {@link GgufExport} returned
 * @param name {@code general.name}; null names the model after the file
 */
public record GgufOptions(GgmlType matrices, String name) {
    public GgufOptions {
        if (matrices == null) {
            throw new IllegalArgumentException("GgufOptions matrices: expected F32, F16, BF16 or Q8_0, got null");
        }
    }

    public static GgufOptions f32() {
        return new GgufOptions(GgmlType.F32, null);
    }

    public static GgufOptions f16() {
        return new GgufOptions(GgmlType.F16, null);
    }

    public static GgufOptions bf16() {
        return new GgufOptions(GgmlType.BF16, null);
    }

    /** 8-bit blocks: about half of F16's size, with a small loss (llama.cpp's {@code q8_0}). */
    public static GgufOptions q8_0() {
        return new GgufOptions(GgmlType.Q8_0, null);
    }

    public GgufOptions name(String name) {
        return new GgufOptions(matrices, name);
    }

    /** {@code general.file_type}: llama.cpp's {@code LLAMA_FTYPE_ALL_F32 / MOSTLY_F16 / MOSTLY_Q8_0 / MOSTLY_BF16}. */
    int fileType() {
        return switch (matrices) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            case BF16 -> 32;
        };
    }
}
