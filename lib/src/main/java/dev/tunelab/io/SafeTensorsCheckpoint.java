package dev.tunelab.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of a model folder, open for reading one tensor at a time: {@code model.safetensors},
 * or the shards a {@code model.safetensors.index.json} names. Every shard and the index are
 * checked when it opens (each tensor found exactly once, where the index says), before any
 * tensor is read, so that a model can be built tensor by tensor without ever holding the whole
 * checkpoint in memory.
 */
public final class SafeTensorsCheckpoint implements AutoCloseable {
    private final List<SafeTensorsFile> files;
    private final Map<String, SafeTensorsFile> fileOf; // tensor name -> its shard, in file order

    private SafeTensorsCheckpoint(List<SafeTensorsFile> files, Map<String, SafeTensorsFile> fileOf) {
        this.files = files;
        this.fileOf = fileOf;
    }

    /** Opens a safetensors file, or a folder holding {@code model.safetensors} or a sharded index. */
    public static SafeTensorsCheckpoint open(Path fileOrDirectory) throws IOException {
        if (!Files.isDirectory(fileOrDirectory)) {
            if (!Files.exists(fileOrDirectory)) {
                throw new NoSuchFileException(fileOrDirectory.toString());
            }
            return single(SafeTensors.open(fileOrDirectory));
        }
        Path single = fileOrDirectory.resolve(SafeTensors.MODEL_FILE);
        if (Files.isRegularFile(single)) {
            return single(SafeTensors.open(single));
        }
        Path index = fileOrDirectory.resolve(SafeTensors.INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return sharded(index);
        }
        List<String> pickles = SafeTensors.pickleCheckpoints(fileOrDirectory);
        if (!pickles.isEmpty()) {
            throw new SafeTensorsFormatException(fileOrDirectory + ": has only PyTorch pickle weights (" + String.join(", ", pickles)
                    + "); tunelab requires safetensors and never unpickles (loading a pickle can run any code it holds)."
                    + " Convert once in Python: AutoModelForCausalLM.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)");
        }
        throw new NoSuchFileException(fileOrDirectory.toString(), null,
                "directory has neither " + SafeTensors.MODEL_FILE + " nor " + SafeTensors.INDEX_FILE);
    }

    private static SafeTensorsCheckpoint single(SafeTensorsFile f) {
        Map<String, SafeTensorsFile> fileOf = new LinkedHashMap<>();
        f.names().forEach(n -> fileOf.put(n, f));
        return new SafeTensorsCheckpoint(List.of(f), fileOf);
    }

    private static SafeTensorsCheckpoint sharded(Path index) throws IOException {
        Map<String, String> weightMap = SafeTensors.readIndex(index);
        Path dir = index.getParent();
        Map<String, List<String>> byShard = new LinkedHashMap<>();
        weightMap.forEach((t, s) -> byShard.computeIfAbsent(s, k -> new ArrayList<>()).add(t));
        List<SafeTensorsFile> files = new ArrayList<>();
        try {
            Map<String, SafeTensorsFile> fileOf = new LinkedHashMap<>();
            Map<String, String> foundIn = new LinkedHashMap<>();
            for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
                Path shard = dir.resolve(e.getKey());
                if (!Files.isRegularFile(shard)) {
                    throw new SafeTensorsFormatException(index + ": shard '" + e.getKey() + "' named for tensor '"
                            + e.getValue().get(0) + "' does not exist in " + dir);
                }
                SafeTensorsFile f = SafeTensors.open(shard);
                files.add(f);
                for (String t : e.getValue()) {
                    if (!f.contains(t)) {
                        throw new SafeTensorsFormatException(index + ": tensor '" + t + "' is mapped to shard '"
                                + e.getKey() + "' but that shard does not contain it");
                    }
                }
                for (String t : f.names()) {
                    String other = foundIn.putIfAbsent(t, e.getKey());
                    if (other != null) {
                        throw new SafeTensorsFormatException(index + ": tensor '" + t + "' appears in both shard '"
                                + other + "' and shard '" + e.getKey() + "'");
                    }
                    if (!weightMap.containsKey(t)) {
                        throw new SafeTensorsFormatException(index + ": shard '" + e.getKey() + "' contains tensor '"
                                + t + "' which the weight_map does not list");
                    }
                    fileOf.put(t, f);
                }
            }
            return new SafeTensorsCheckpoint(files, fileOf);
        } catch (IOException | RuntimeException e) {
            for (SafeTensorsFile f : files) {
                f.close();
            }
            throw e;
        }
    }

    /** Tensor names, shard by shard in file order. */
    public List<String> names() {
        return List.copyOf(fileOf.keySet());
    }

    /** Every tensor's header entry (dtype, shape), by name. */
    public Map<String, SafeTensorsInfo> infos() {
        Map<String, SafeTensorsInfo> out = new LinkedHashMap<>();
        fileOf.forEach((n, f) -> out.put(n, f.info(n)));
        return Collections.unmodifiableMap(out);
    }

    /** Reads one tensor converted to {@code target} (see {@link SafeTensorsFile#load(NDManager, String, DataType)}). */
    public NDArray load(NDManager manager, String name, DataType target) throws IOException {
        return file(name).load(manager, name, target);
    }

    /** Reads one tensor with its default type. */
    public NDArray load(NDManager manager, String name) throws IOException {
        return file(name).load(manager, name);
    }

    private SafeTensorsFile file(String name) {
        SafeTensorsFile f = fileOf.get(name);
        if (f == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in " + files);
        }
        return f;
    }

    /** Every tensor with its default type, in file order; on failure, arrays already read are closed. */
    public Map<String, NDArray> loadAll(NDManager manager) throws IOException {
        Map<String, NDArray> out = new LinkedHashMap<>();
        try {
            for (String t : fileOf.keySet()) {
                out.put(t, load(manager, t));
            }
        } catch (IOException | RuntimeException e) {
            out.values().forEach(NDArray::close);
            throw e;
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        for (SafeTensorsFile f : files) {
            f.close();
        }
    }
}
