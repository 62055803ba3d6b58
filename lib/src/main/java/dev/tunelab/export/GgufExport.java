package dev.tunelab.export;

import dev.tunelab.io.GgmlType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@link Gguf#write} wrote: the file, its size and each tensor's GGUF name, PyTorch shape
 * and type (so a Q8_0 export shows which matrices had to stay F16).
 */
public record GgufExport(Path file, long bytes, List<Tensor> tensors) {
    /** One tensor: its llama.cpp name, its shape as in PyTorch (rows, columns), its stored type. */
    public record Tensor(String name, long[] shape, GgmlType type) {}

    /** Tensor count per stored type. */
    public Map<GgmlType, Integer> typeCounts() {
        Map<GgmlType, Integer> out = new TreeMap<>();
        tensors.forEach(t -> out.merge(t.type(), 1, Integer::sum));
        return out;
    }

    @Override
    public String toString() {
        return "GGUF " + file.getFileName() + ": " + String.format("%,d", bytes) + " bytes, " + tensors.size()
                + " tensors " + typeCounts();
    }
}
