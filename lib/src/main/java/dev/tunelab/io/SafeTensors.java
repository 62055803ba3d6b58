package dev.tunelab.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Entry point for Hugging Face safetensors files: memory-mapped, validated reading and atomic
 * writing, single files and sharded checkpoints.
 *
 * <p>Format: https://github.com/huggingface/safetensors#format
 *
 * <pre>{@code
 * try (SafeTensorsFile f = SafeTensors.open(Path.of("model.safetensors"))) {
 *     NDArray w = f.load(manager, "model.embed_tokens.weight");
 * }
 * Map<String, NDArray> weights = SafeTensors.loadAll(manager, Path.of("checkpoint-dir"));
 * SafeTensors.write(Path.of("out.safetensors"), weights, Map.of("step", "100"));
 * SafeTensors.writer().floatsAs(Dtype.BF16).maxShardBytes(5L << 30).writeCheckpoint(dir, weights);
 * }</pre>
 *
 * <p>Every malformed input is reported as a {@link SafeTensorsFormatException} naming the file,
 * the tensor and the field; the header is checked completely (sizes, offsets, coverage of the
 * data buffer) before any tensor is read.
 */
public final class SafeTensors {
    /** Single-file checkpoint name used by transformers. */
    public static final String MODEL_FILE = "model.safetensors";

    /** Index of a sharded checkpoint, mapping tensor names to shard files. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private SafeTensors() {}

    /** Opens a file and validates its header; close it when done (loaded arrays stay valid). */
    public static SafeTensorsFile open(Path file) throws IOException {
        return SafeTensorsFile.open(file);
    }

    /** A writer with default options (see {@link SafeTensorsWriter}). */
    public static SafeTensorsWriter writer() {
        return new SafeTensorsWriter();
    }

    /**
     * Writes tensors to one file atomically, each in its own type, laid out as the reference
     * library does.
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata)
            throws IOException {
        writer().metadata(metadata).write(file, tensors);
    }

    /**
     * Loads every tensor of a safetensors file, or of a checkpoint directory holding {@code
     * model.safetensors} or a sharded checkpoint described by {@code
     * model.safetensors.index.json}. Arrays get their default types ({@link Dtype#defaultTarget()})
     * and belong to {@code manager}. On failure, arrays already loaded are closed.
     *
     * @throws SafeTensorsFormatException if a file is malformed, the index names a missing shard,
     *     or a tensor is not found exactly once where the index says
     */
    public static Map<String, NDArray> loadAll(NDManager manager, Path fileOrDirectory)
            throws IOException {
        try (SafeTensorsCheckpoint checkpoint = SafeTensorsCheckpoint.open(fileOrDirectory)) {
            return checkpoint.loadAll(manager);
        }
    }

    /** Files in {@code dir} that look like pickled PyTorch checkpoints (pytorch_model.bin, *.pt, *.pth, *.ckpt, *.pkl). */
    static List<String> pickleCheckpoints(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("(?i).*\\.(bin|pt|pth|ckpt|pkl|pickle)") && !n.startsWith("."))
                    .sorted().toList();
        }
    }

    /**
     * Reads {@code model.safetensors.index.json} and returns its {@code weight_map}, in file order
     * (tensor name to shard file name), after checking its structure.
     */
    public static Map<String, String> readIndex(Path indexFile) throws IOException {
        String label = indexFile.toString();
        long size = Files.size(indexFile);
        if (size > SafeTensorsHeader.MAX_HEADER_BYTES) {
            throw new SafeTensorsFormatException(label + ": index is " + size + " bytes, too large");
        }
        JsonNode root;
        try {
            root = SafeTensorsHeader.JSON.readTree(Files.readString(indexFile));
        } catch (JsonProcessingException e) {
            throw new SafeTensorsFormatException(
                    label + ": index is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafeTensorsFormatException(label + ": index must be a JSON object");
        }
        JsonNode wm = root.get("weight_map");
        if (wm == null || !wm.isObject()) {
            throw new SafeTensorsFormatException(
                    label + ": field 'weight_map' must be an object of tensor name to shard file,"
                            + " found " + (wm == null ? "nothing" : wm.getNodeType()));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = wm.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (!v.isTextual() || !isPlainFileName(v.textValue())) {
                throw new SafeTensorsFormatException(
                        label + ": weight_map entry for tensor '" + e.getKey()
                                + "' must be a shard file name in the same directory, found " + v);
            }
            out.put(e.getKey(), v.textValue());
        }
        return out;
    }

    private static boolean isPlainFileName(String s) {
        // Shards live next to the index; refusing separators keeps paths inside the directory.
        return !s.isEmpty() && !s.equals(".") && !s.equals("..")
                && s.indexOf('/') < 0 && s.indexOf('\\') < 0 && s.indexOf('\0') < 0;
    }
}
