package dev.tunelab.kernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Expands {@code %jars} arguments such as {@code lib/*.jar} or {@code build/**}{@code /*.jar}. */
final class Globs {
    private Globs() {}

    static List<Path> expand(Path cwd, String pattern) {
        int firstGlob = indexOfAny(pattern, "*?[{");
        if (firstGlob < 0) {
            Path p = cwd.resolve(pattern).normalize();
            if (!Files.exists(p)) throw new IllegalArgumentException("no such file: " + p);
            return List.of(p);
        }
        int slash = pattern.lastIndexOf('/', firstGlob);
        Path base = cwd.resolve(slash < 0 ? "." : pattern.substring(0, slash + 1)).normalize();
        String rest = slash < 0 ? pattern : pattern.substring(slash + 1);
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + rest);
        if (!Files.isDirectory(base)) throw new IllegalArgumentException("no such directory: " + base);
        try (Stream<Path> files = Files.walk(base)) {
            List<Path> found = files.filter(Files::isRegularFile)
                    .filter(p -> matcher.matches(base.relativize(p)))
                    .sorted()
                    .collect(Collectors.toList());
            if (found.isEmpty()) throw new IllegalArgumentException("no files match " + pattern + " in " + base);
            return found;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int indexOfAny(String s, String chars) {
        for (int i = 0; i < s.length(); i++) if (chars.indexOf(s.charAt(i)) >= 0) return i;
        return -1;
    }
}
