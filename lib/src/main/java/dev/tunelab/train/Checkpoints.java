package dev.tunelab.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checkpoint folder of a run: {@code step-00000100/} folders to resume from and {@code best/},
 * the weights with the lowest held-out loss ({@link Checkpointer} says what each holds). A folder
 * is written under a hidden temporary name and renamed into place in one step, so a run killed
 * while saving leaves the previous checkpoint intact and no half-written one that looks complete.
 */
public final class Checkpoints {
    /** Folder (inside the checkpoint folder) of the weights with the lowest held-out loss. */
    public static final String BEST = "best";
    /** In {@code best/}: the step and held-out loss of those weights. */
    public static final String BEST_FILE = "best.json";
    private static final Pattern NAME = Pattern.compile("step-(\\d{8})");
    private static final ObjectMapper JSON = new ObjectMapper();

    private Checkpoints() {}

    /** A complete checkpoint on disk. */
    public record Checkpoint(Path dir, int step, Map<String, Object> state) {}

    /** What fills a checkpoint folder while it still has its temporary name. */
    interface Writer {
        void write(Path dir) throws IOException;
    }

    static String stepFolder(int step) {
        return String.format("step-%08d", step);
    }

    /**
     * Writes {@code root/name} through {@code writer} into a temporary folder, then moves it into
     * place, replacing an older folder of that name; keeps the newest {@code keep} step folders (0: all).
     */
    static Path writeAtomically(Path root, String name, int keep, Writer writer) throws IOException {
        Files.createDirectories(root);
        Path tmp = Files.createTempDirectory(root, "." + name + ".partial-");
        writer.write(tmp);
        Path target = root.resolve(name);
        Path old = root.resolve("." + name + ".old");
        if (Files.exists(target)) {
            if (Files.exists(old)) {
                deleteTree(old);
            }
            AtomicFiles.moveAtomically(target, old);
        }
        AtomicFiles.moveAtomically(tmp, target);
        if (Files.exists(old)) {
            deleteTree(old);
        }
        prune(root, keep);
        return target;
    }

    /** The step and held-out loss of the weights in {@code best/}. */
    public record Best(int step, double evalLoss) {}

    /** What {@code best/} of a run's checkpoint folder holds, if it has one. */
    public static Optional<Best> best(Path root) throws IOException {
        Path f = root.resolve(BEST).resolve(BEST_FILE);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        var tree = JSON.readTree(f.toFile());
        return Optional.of(new Best(tree.get("step").asInt(), tree.get("eval_loss").asDouble()));
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
                if (name.contains(".partial-")
                        || (NAME.matcher(name).matches() && !Files.exists(p.resolve(Checkpointer.STATE)))) {
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
        Map<String, Object> state = JSON.readValue(dir.resolve(Checkpointer.STATE).toFile(), Map.class);
        return Optional.of(new Checkpoint(dir, ((Number) state.get("step")).intValue(), state));
    }

    private static List<Path> list(Path root) throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .filter(p -> Files.exists(p.resolve(Checkpointer.STATE)))
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
            // the state file first: a pruning cut short leaves a folder latest() recognises as incomplete
            Files.deleteIfExists(all.get(i).resolve(Checkpointer.STATE));
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
