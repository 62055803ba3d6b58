package dev.tunelab.recipes.stories;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's datasets/tasks folder, found from the working directory (Maven runs tests in lib/). */
final class TaskFiles {
    private TaskFiles() {}

    static Path tasksDir() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path tasks = dir.resolve("datasets").resolve("tasks");
            if (Files.isDirectory(tasks)) return tasks;
        }
        throw new IllegalStateException("no datasets/tasks above " + Path.of("").toAbsolutePath());
    }
}
