package dev.tunelab.align;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The written principles of Constitutional AI (Bai et al. 2022, "Constitutional AI: Harmlessness
 * from AI Feedback", appendix C), read from a plain text file users edit. Each principle has a
 * name, a critique request and a revision request (phase 1: the model critiques and revises its
 * own answer) and a comparison question (phase 2: a model says which of two answers follows the
 * principle better). The file, as {@code datasets/principles/default.txt}:
 *
 * <pre>
 * # a comment
 * [kind]
 * critique: Point out where the story is unkind, mean or sad.
 * revision: Tell the story again so that everyone is kind and the story ends happily.
 * compare: Which story is kinder and happier?
 * </pre>
 */
public record Constitution(List<Principle> principles, String source) {
    /** One principle: its name and the three requests built into the prompts. */
    public record Principle(String name, String critique, String revision, String comparison) {}

    public Constitution {
        if (principles.isEmpty()) {
            throw new IllegalArgumentException(source + ": no principles (a principle is a [name] line and its "
                    + "critique:, revision: and compare: lines)");
        }
        principles = List.copyOf(principles);
    }

    public static Constitution load(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the principles file " + file, e);
        }
    }

    /** Reads the file format above; {@code source} names the text in error messages. */
    public static Constitution parse(String text, String source) {
        List<Principle> out = new ArrayList<>();
        String name = null;
        int nameLine = 0;
        Map<String, String> fields = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i <= lines.length; i++) {
            String line = i < lines.length ? lines[i].strip() : "[";
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[")) {
                if (name != null) {
                    out.add(principle(name, fields, source, nameLine));
                }
                if (i == lines.length) {
                    break;
                }
                if (!line.endsWith("]") || line.length() < 3) {
                    throw new IllegalArgumentException(source + ", line " + (i + 1) + ": a principle starts with [name], got: " + line);
                }
                name = line.substring(1, line.length() - 1).strip();
                nameLine = i + 1;
                fields = new LinkedHashMap<>();
                continue;
            }
            int colon = line.indexOf(':');
            String key = colon < 0 ? "" : line.substring(0, colon).strip();
            if (name == null || !List.of("critique", "revision", "compare").contains(key)) {
                throw new IllegalArgumentException(source + ", line " + (i + 1) + ": expected [name], critique:, revision: or "
                        + "compare:" + (name == null ? " (after a [name] line)" : "") + ", got: " + line);
            }
            if (fields.put(key, line.substring(colon + 1).strip()) != null) {
                throw new IllegalArgumentException(source + ", line " + (i + 1) + ": a second " + key + ": in [" + name + "]");
            }
        }
        return new Constitution(out, source);
    }

    private static Principle principle(String name, Map<String, String> fields, String source, int line) {
        for (String key : List.of("critique", "revision", "compare")) {
            if (fields.getOrDefault(key, "").isEmpty()) {
                throw new IllegalArgumentException(source + ", line " + line + ": principle [" + name + "] has no " + key + ": line");
            }
        }
        return new Principle(name, fields.get("critique"), fields.get("revision"), fields.get("compare"));
    }

    public int size() {
        return principles.size();
    }

    public Principle get(int i) {
        return principles.get(i);
    }
}
