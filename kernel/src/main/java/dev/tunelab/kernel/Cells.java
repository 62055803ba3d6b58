package dev.tunelab.kernel;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs a cell: IJava's magics ({@code %classpath}, {@code %jars}, {@code %maven},
 * {@code %load}, {@code %%time}) and Java code between them. A line magic is a line that
 * starts with {@code %}; a cell magic is a first line starting with {@code %%}.
 */
final class Cells {
    private final Evaluator evaluator;
    private final MavenResolver maven;

    Cells(Evaluator evaluator, MavenResolver maven) {
        this.evaluator = evaluator;
        this.maven = maven;
    }

    /** Runs a cell; errors name it {@code label} (e.g. "In[7]") and its lines. */
    Evaluator.Result run(String cell, String label) throws CellException {
        return run(cell, new SourceMap.Origin(label, 1));
    }

    private Evaluator.Result run(String cell, SourceMap.Origin start) throws CellException {
        String[] lines = cell.split("\n", -1);
        int first = 0;
        while (first < lines.length && lines[first].isBlank()) first++;
        if (first < lines.length && lines[first].stripLeading().startsWith("%%")) {
            String header = lines[first].strip().substring(2).trim();
            String body = String.join("\n", List.of(lines).subList(first + 1, lines.length));
            return cellMagic(header, body, start.plus(first + 1));
        }
        Evaluator.Result result = Evaluator.Result.NONE;
        StringBuilder code = new StringBuilder();
        int codeStart = 0; // the line the code gathered in `code` starts on
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.stripLeading().startsWith("%")) {
                result = flush(code, start.plus(codeStart), result);
                lineMagic(line.stripLeading().substring(1).trim());
                result = Evaluator.Result.NONE;
                codeStart = i + 1;
            } else {
                code.append(line).append('\n');
            }
        }
        return flush(code, start.plus(codeStart), result);
    }

    private Evaluator.Result flush(StringBuilder code, SourceMap.Origin start, Evaluator.Result previous) throws CellException {
        if (code.toString().isBlank()) return previous;
        Evaluator.Result r = evaluator.eval(code.toString(), start);
        code.setLength(0);
        return r;
    }

    private Evaluator.Result cellMagic(String header, String body, SourceMap.Origin bodyStart) throws CellException {
        String name = header.split("\\s+", 2)[0];
        if (!name.equals("time")) throw unknown("%%" + name, "%%time");
        long t0 = System.nanoTime();
        try {
            return run(body, bodyStart);
        } finally {
            System.out.println("Wall time: " + duration(System.nanoTime() - t0));
        }
    }

    static String duration(long nanos) {
        double ms = nanos / 1e6;
        return ms < 1000 ? String.format(Locale.ROOT, "%.1f ms", ms) : String.format(Locale.ROOT, "%.2f s", ms / 1000);
    }

    private void lineMagic(String line) throws CellException {
        String[] parts = line.split("\\s+", 2);
        String name = parts[0];
        List<String> args = parts.length < 2 ? List.of() : splitArgs(parts[1]);
        try {
            switch (name) {
                case "classpath" -> classpath(args);
                case "jars" -> jars(args);
                case "maven" -> maven(args);
                case "load" -> load(args);
                default -> throw unknown("%" + name, "%classpath, %jars, %maven, %load");
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new CellException("MagicError", "%" + name + ": " + e.getMessage());
        }
    }

    private void classpath(List<String> args) {
        List<String> paths = new ArrayList<>();
        for (String arg : args) {
            for (String entry : arg.split(File.pathSeparator)) {
                if (entry.isBlank()) continue;
                for (Path p : Globs.expand(cwd(), entry)) paths.add(p.toString());
            }
        }
        evaluator.addToClasspath(paths);
    }

    private void jars(List<String> args) {
        List<String> paths = new ArrayList<>();
        for (String arg : args) for (Path p : Globs.expand(cwd(), arg)) paths.add(p.toString());
        evaluator.addToClasspath(paths);
    }

    private void maven(List<String> args) throws IOException {
        if (args.isEmpty()) throw new IllegalArgumentException("usage: %maven group:artifact:version ...");
        List<String> paths = new ArrayList<>();
        for (String coordinates : args) for (Path p : maven.resolve(coordinates)) paths.add(p.toString());
        evaluator.addToClasspath(paths);
    }

    private void load(List<String> args) throws CellException, IOException {
        if (args.size() != 1) throw new IllegalArgumentException("usage: %load path/to/file.jshell");
        Path file = cwd().resolve(args.get(0));
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("no such file: " + file);
        run(Files.readString(file), new SourceMap.Origin(args.get(0), 1)); // errors name the file and its lines
    }

    private static Path cwd() {
        return Path.of("").toAbsolutePath();
    }

    private static CellException unknown(String magic, String known) {
        return new CellException("UnknownMagic", magic + " is not a magic of this kernel (known: " + known + ")");
    }

    /** Splits on blanks, keeping "quoted parts" together. */
    static List<String> splitArgs(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        char quote = 0;
        for (char c : s.toCharArray()) {
            if (quote != 0) {
                if (c == quote) quote = 0; else cur.append(c);
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (Character.isWhitespace(c)) {
                if (cur.length() > 0) { out.add(cur.toString()); cur.setLength(0); }
            } else {
                cur.append(c);
            }
        }
        if (cur.length() > 0) out.add(cur.toString());
        return out;
    }
}
