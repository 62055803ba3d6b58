package dev.tunelab.recipes.stories;

import java.nio.file.Path;

/**
 * The command line the project's data generators share ({@code bin/make-qa-data},
 * {@code bin/make-cloze-data}): where the data-set mirror is, where to write, the seed and how
 * many rows.
 */
public record GeneratorArgs(Path data, Path out, long seed, int count) {
    /** The seed every generator defaults to (the day the sets were first made). */
    public static final long DEFAULT_SEED = 20261206;

    /**
     * Parses {@code --data DIR --out DIR --seed N --count N}; {@code --data} defaults to
     * {@code TUNELAB_DATA}, and one of them must name the mirror that holds {@code source}.
     */
    public static GeneratorArgs parse(String command, String[] args, Path defaultOut, int defaultCount, String source) {
        Path data = System.getenv("TUNELAB_DATA") == null ? null : Path.of(System.getenv("TUNELAB_DATA"));
        Path out = defaultOut;
        long seed = DEFAULT_SEED;
        int count = defaultCount;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--count" -> count = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: " + command + " [--data DIR] [--out DIR] [--seed N] [--count N]");
            }
        }
        if (data == null) {
            throw new IllegalArgumentException("set TUNELAB_DATA (or --data) to the data-set mirror holding " + source);
        }
        return new GeneratorArgs(data, out, seed, count);
    }
}
