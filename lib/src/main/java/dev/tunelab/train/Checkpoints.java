package dev.tunelab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.io.AtomicFiles;
import dev.tunelab.io.SafeTensors;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.Parameter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Training checkpoints in {@code <dir>/step-00000100/}: the trainable parameters
 * ({@code model.safetensors}), the optimizer moments ({@code optimizer.safetensors}) and
 * {@code trainer_state.json}. A checkpoint is written into a hidden temporary folder and renamed
 * into place in one step, so a run killed while saving leaves the previous checkpoint intact and
 * no half-written one that looks complete.
 */
public final class Checkpoints {
    /** Folder (inside the checkpoint folder) of the weights with the lowest held-out loss. */
    public static final String BEST = "best";
    private static final Pattern NAME = Pattern.compile("step-(\\d{8})");
    private static final ObjectMapper JSON = new ObjectMapper();

    private Checkpoints() {}

    /** A complete checkpoint on disk. */
    public record Checkpoint(Path dir, int step, Map<String, Object> state) {}

    public static Path save(Path root, int step, Map<String, Parameter> parameters, AdamW optimizer,
            Map<String, Object> state, int keep) throws IOException {
        Files.createDirectories(root);
        String name = String.format("step-%08d", step);
        Path tmp = Files.createTempDirectory(root, "." + name + ".partial-");
        Map<String, NDArray> weights = new LinkedHashMap<>();
        parameters.forEach((n, p) -> weights.put(n, p.data()));
        SafeTensors.write(tmp.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        SafeTensors.write(tmp.resolve("optimizer.safetensors"), optimizer.state(), Map.of());
        Map<String, Object> full = new LinkedHashMap<>(state);
        full.put("step", step);
        full.put("optimizer_steps", optimizer.steps());
        AtomicFiles.writeString(tmp.resolve("trainer_state.json"), JSON.writeValueAsString(full));
        Path target = root.resolve(name);
        if (Files.exists(target)) {
            deleteTree(target); // an older save of the same step (a resumed run passing it again)
        }
        AtomicFiles.moveAtomically(tmp, target);
        prune(root, keep);
        return target;
    }

    /**
     * Saves the trainable parameters as the best weights so far, replacing the previous best in
     * one rename: {@code best/model.safetensors} and {@code best/best.json} (step, eval loss).
     */
    public static void saveBest(Path dir, int step, double evalLoss, Map<String, Parameter> parameters)
            throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".partial-");
        Map<String, NDArray> weights = new LinkedHashMap<>();
        parameters.forEach((n, p) -> weights.put(n, p.data()));
        SafeTensors.write(tmp.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        AtomicFiles.writeString(tmp.resolve("best.json"),
                JSON.writeValueAsString(Map.of("step", step, "eval_loss", evalLoss)));
        Path old = parent.resolve("." + dir.getFileName() + ".old");
        if (Files.exists(dir)) {
            if (Files.exists(old)) {
                deleteTree(old);
            }
            AtomicFiles.moveAtomically(dir, old);
        }
        AtomicFiles.moveAtomically(tmp, dir);
        if (Files.exists(old)) {
            deleteTree(old);
        }
    }

    /** The held-out loss recorded with the best weights in {@code dir}, if any. */
    public static Optional<Double> bestEvalLoss(Path dir) throws IOException {
        Path f = dir.resolve("best.json");
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        return Optional.of(JSON.readTree(f.toFile()).get("eval_loss").asDouble());
    }

    /**
     * The newest complete checkpoint. Left-overs of an interrupted save (temporary folders) or of an
     * interrupted pruning (a step folder whose trainer_state.json, deleted first, is gone) are removed.
     */
    public static Optional<Checkpoint> latest(Path root) throws IOException {
        if (root == null || !Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (name.contains(".partial-") || (NAME.matcher(name).matches() && !Files.exists(p.resolve("trainer_state.json")))) {
                    deleteTree(p);
                }
            }
        }
        List<Path> complete = list(root);
        if (complete.isEmpty()) {
            return Optional.empty();
        }
        Path dir = complete.get(complete.size() - 1);
        @SuppressWarnings("unchecked")
        Map<String, Object> state = JSON.readValue(dir.resolve("trainer_state.json").toFile(), Map.class);
        return Optional.of(new Checkpoint(dir, ((Number) state.get("step")).intValue(), state));
    }

    /** Loads a checkpoint's parameters and optimizer state into the live objects. */
    public static void restore(Checkpoint c, Map<String, Parameter> parameters, AdamW optimizer) throws IOException {
        loadParameters(c.dir().resolve("model.safetensors"), parameters);
        NDManager manager = parameters.values().iterator().next().data().getManager();
        try (NDManager tmp = manager.newSubManager()) {
            Map<String, NDArray> moments = SafeTensors.loadAll(tmp, c.dir().resolve("optimizer.safetensors"));
            optimizer.load(moments, ((Number) c.state().get("optimizer_steps")).longValue());
        }
    }

    /** Overwrites each parameter with the tensor of the same name in a safetensors file. */
    public static void loadParameters(Path file, Map<String, Parameter> parameters) throws IOException {
        NDManager manager = parameters.values().iterator().next().data().getManager();
        try (NDManager tmp = manager.newSubManager()) {
            Map<String, NDArray> weights = SafeTensors.loadAll(tmp, file);
            Autograd.noGrad(() -> parameters.forEach((n, p) -> {
                NDArray w = weights.get(n);
                if (w == null) {
                    throw new IllegalArgumentException(file + ": no tensor '" + n + "'");
                }
                p.data().set(w.toByteBuffer());
            }));
        }
    }

    private static List<Path> list(Path root) throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .filter(p -> Files.exists(p.resolve("trainer_state.json")))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        }
    }

    private static void prune(Path root, int keep) throws IOException {
        if (keep <= 0) {
            return;
        }
        List<Path> all = list(root);
        for (int i = 0; i < all.size() - keep; i++) {
            deleteTree(all.get(i));
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
