package dev.tunelab.bench;

import ai.djl.ndarray.types.DataType;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The C reference decoder: Andrej Karpathy's llama2.c {@code run.c} (MIT), built outside the
 * project ({@code ../shared/tools/llama2c/README.md}: {@code run} single-threaded, {@code runomp}
 * with OpenMP). This class writes a tunelab model in run.c's legacy (v0) format with a
 * placeholder vocabulary, runs the binary greedily and reads its "achieved tok/s" line.
 *
 * <p>run.c counts a step per position, prompt included, and starts its clock after the first
 * step; {@link #promptText(int)} makes its prompt exactly as many tokens as tunelab's.
 */
final class Llama2c {
    private static final Pattern SPEED = Pattern.compile("achieved tok/s: ([0-9.]+)");

    private Llama2c() {}

    /**
     * Writes {@code model.bin} (v0: header, then every weight, q and k rows reordered from the
     * rotate-half layout to run.c's interleaved pairs as llama2.c's export.py permutes them) and
     * {@code tokenizer.bin} into {@code dir}.
     */
    static void export(LlamaModel model, Path dir) throws IOException {
        LlamaConfig c = model.config();
        if (c.headDim() * c.numAttentionHeads() != c.hiddenSize() || c.attentionBias() || c.mlpBias()) {
            throw new IllegalArgumentException("run.c needs head_dim = hidden / heads and no biases: " + c);
        }
        Files.createDirectories(dir);
        Map<String, Parameter> p = model.namedParameters();
        int layers = c.numHiddenLayers();
        try (FileChannel out = FileChannel.open(dir.resolve("model.bin"), StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer header = ByteBuffer.allocate(7 * 4).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(c.hiddenSize()).putInt(c.intermediateSize()).putInt(layers).putInt(c.numAttentionHeads())
                    .putInt(c.numKeyValueHeads()).putInt(c.tieWordEmbeddings() ? c.vocabSize() : -c.vocabSize())
                    .putInt(c.maxPositionEmbeddings());
            out.write(header.flip());
            write(out, floats(p.get("model.embed_tokens.weight")));
            for (String name : List.of("input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                    "self_attn.o_proj", "post_attention_layernorm", "mlp.gate_proj", "mlp.down_proj", "mlp.up_proj")) {
                for (int l = 0; l < layers; l++) {
                    String key = "model.layers." + l + "." + name + ".weight";
                    float[] w = floats(p.get(key));
                    if (name.equals("self_attn.q_proj")) {
                        w = interleaved(w, c.numAttentionHeads(), c.headDim(), c.hiddenSize());
                    } else if (name.equals("self_attn.k_proj")) {
                        w = interleaved(w, c.numKeyValueHeads(), c.headDim(), c.hiddenSize());
                    }
                    write(out, w);
                }
            }
            write(out, floats(p.get("model.norm.weight")));
            // legacy freq_cis tables, which run.c skips (it computes RoPE itself)
            write(out, new float[c.maxPositionEmbeddings() * c.headDim()]);
            if (!c.tieWordEmbeddings()) {
                write(out, floats(p.get("lm_head.weight")));
            }
        }
        writeTokenizer(dir.resolve("tokenizer.bin"), c.vocabSize());
    }

    /** Rows of each head from [first halves; second halves] to interleaved pairs (export.py's permute, reversed). */
    static float[] interleaved(float[] w, int heads, int headDim, int in) {
        float[] out = new float[w.length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < half; i++) {
                    int from = (h * headDim + j * half + i) * in;
                    int to = (h * headDim + 2 * i + j) * in;
                    System.arraycopy(w, from, out, to, in);
                }
            }
        }
        return out;
    }

    /**
     * A vocabulary run.c can encode a plain ASCII prompt with: ids 3..258 are the bytes (its byte
     * fallback), the rest placeholders that never merge. Timing does not depend on the strings.
     */
    private static void writeTokenizer(Path file, int vocab) throws IOException {
        if (vocab < 259) {
            throw new IllegalArgumentException("run.c's byte fallback needs a vocabulary of at least 259, got " + vocab);
        }
        List<byte[]> tokens = new ArrayList<>();
        for (int i = 0; i < vocab; i++) {
            int b = i - 3;
            byte[] s = b > 0 && b < 256 ? new byte[] {(byte) b} : ("<t" + i + ">").getBytes(StandardCharsets.UTF_8);
            tokens.add(s);
        }
        int maxLength = tokens.stream().mapToInt(t -> t.length).max().orElse(1);
        ByteBuffer buf = ByteBuffer.allocate(4 + tokens.stream().mapToInt(t -> 8 + t.length).sum()).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(maxLength);
        for (int i = 0; i < vocab; i++) {
            buf.putFloat(-i).putInt(tokens.get(i).length).put(tokens.get(i));
        }
        Files.write(file, buf.array());
    }

    /**
     * A prompt run.c encodes into exactly {@code tokens} tokens: BOS, the dummy-prefix space and one
     * byte token per letter.
     */
    static String promptText(int tokens) {
        if (tokens < 3) {
            throw new IllegalArgumentException("run.c's prompt has at least BOS, the prefix space and one letter");
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < tokens - 2; i++) {
            sb.append((char) ('a' + i % 26));
        }
        return sb.toString();
    }

    /** Greedy decoding of {@code steps} positions (prompt included); returns run.c's tokens per second. */
    static double run(Path binary, Path dir, int steps, int promptTokens, int threads) {
        List<String> command = List.of(binary.toString(), dir.resolve("model.bin").toString(), "-z",
                dir.resolve("tokenizer.bin").toString(), "-t", "0", "-n", String.valueOf(steps), "-i",
                promptText(promptTokens));
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("OMP_NUM_THREADS", String.valueOf(threads));
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            int exit = process.waitFor();
            Matcher m = SPEED.matcher(output);
            if (exit != 0 || !m.find()) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + exit
                        + " and no 'achieved tok/s' line: " + output.substring(Math.max(0, output.length() - 500)));
            }
            return Double.parseDouble(m.group(1));
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + binary + " (build it as ../shared/tools/llama2c/README.md says)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while llama2.c ran", e);
        }
    }

    private static float[] floats(Parameter p) {
        return p.data().toType(DataType.FLOAT32, false).toFloatArray();
    }

    private static void write(FileChannel out, float[] values) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(values);
        out.write(buf);
    }
}
