package dev.tunelab.bench;

import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A model folder of random bf16 weights in a real model's shapes (config.json + model.safetensors),
 * written tensor by tensor so that a 7B checkpoint (13.5 GB) never sits in memory: what the
 * real-size benchmark loads as a user would load a downloaded model. Matrices are uniform with
 * the standard deviation of transformers' initialisation (initializer_range, 0.02), norms are ones.
 */
final class RandomCheckpoint {
    private RandomCheckpoint() {}

    /** Writes the folder unless a complete one (marked by a "complete" file) is there already. */
    static Path ensure(Path configJson, Path dir, long seed) throws IOException {
        if (Files.exists(dir.resolve("complete"))) {
            return dir;
        }
        Files.createDirectories(dir);
        Files.copy(configJson, dir.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        LlamaConfig config = LlamaConfig.load(dir.resolve("config.json"));
        Map<String, Shape> shapes = LlamaModel.expectedShapes(config);

        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (var e : shapes.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "BF16");
            var shape = t.putArray("shape");
            for (long d : e.getValue().getShape()) {
                shape.add(d);
            }
            long bytes = 2 * e.getValue().size();
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] headerBytes = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (headerBytes.length + 7) / 8 * 8; // the data starts 8-byte aligned (safetensors spec)
        Path file = dir.resolve("model.safetensors");
        SplittableRandom random = new SplittableRandom(seed);
        float bound = (float) (Math.sqrt(3) * config.initializerRange()); // uniform(-b, b) has std b / sqrt(3)
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(length.array());
            out.write(headerBytes);
            for (int i = headerBytes.length; i < padded; i++) {
                out.write(' ');
            }
            byte[] chunk = new byte[1 << 20];
            for (var e : shapes.entrySet()) {
                boolean norm = e.getKey().endsWith("norm.weight");
                boolean bias = e.getKey().endsWith(".bias");
                long remaining = e.getValue().size();
                while (remaining > 0) {
                    int n = (int) Math.min(remaining, chunk.length / 2);
                    for (int i = 0; i < n; i++) {
                        float v = norm ? 1f : bias ? 0f : (float) ((random.nextDouble() * 2 - 1) * bound);
                        int bits = Float.floatToRawIntBits(v) >>> 16; // bf16: the top 16 bits (truncation is fine for random values)
                        chunk[2 * i] = (byte) bits;
                        chunk[2 * i + 1] = (byte) (bits >>> 8);
                    }
                    out.write(chunk, 0, 2 * n);
                    remaining -= n;
                }
            }
        }
        Files.writeString(dir.resolve("complete"), "");
        return dir;
    }
}
