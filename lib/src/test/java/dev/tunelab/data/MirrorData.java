package dev.tunelab.data;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shared public-data mirror the tests read: {@code TUNELAB_DATA} when set, else
 * {@code ../shared/datasets} next to the repository (found from the repository root or from
 * {@code lib/}, where Maven runs the tests). The files are never copied into the project.
 */
public final class MirrorData {
    private MirrorData() {}

    public static Path dir() {
        String env = System.getenv("TUNELAB_DATA");
        Path[] candidates = env != null && !env.isBlank()
                ? new Path[] {Path.of(env)}
                : new Path[] {Path.of("..", "shared", "datasets"), Path.of("..", "..", "shared", "datasets")};
        for (Path p : candidates) {
            if (Files.isDirectory(p)) return p.toAbsolutePath().normalize();
        }
        assumeTrue(false, "skipped: no data mirror (set TUNELAB_DATA, or put the shared data sets at ../shared/datasets "
                + "beside the repository); looked in " + java.util.Arrays.toString(candidates));
        return null;
    }

    static Catalog catalog() {
        return Catalog.mirror(dir());
    }
}
