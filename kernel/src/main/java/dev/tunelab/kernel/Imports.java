package dev.tunelab.kernel;

import java.util.ArrayList;
import java.util.List;

/**
 * The imports every notebook starts with. {@code TUNELAB_KERNEL_IMPORTS} replaces the list
 * (comma separated, e.g. {@code java.util.*,static java.lang.Math.*}). Packages that do not
 * exist (yet) are skipped, so a module that lands later never breaks start-up.
 */
final class Imports {
    static final List<String> DEFAULT = List.of(
            "java.util.*", "java.util.stream.*", "java.nio.file.*", "java.time.*",
            "dev.tunelab.*", "dev.tunelab.display.*", "dev.tunelab.model.*", "dev.tunelab.io.*",
            "dev.tunelab.data.*", "dev.tunelab.peft.*", "dev.tunelab.train.*", "dev.tunelab.align.*",
            "dev.tunelab.distill.*", "dev.tunelab.eval.*", "dev.tunelab.generate.*", "dev.tunelab.track.*",
            "ai.djl.ndarray.*", "ai.djl.ndarray.types.*",
            "tech.tablesaw.api.*", "org.knowm.xchart.*",
            "static dev.tunelab.kernel.Notebook.*");

    private Imports() {}

    static List<String> configured() {
        String env = System.getenv("TUNELAB_KERNEL_IMPORTS");
        if (env == null || env.isBlank()) return DEFAULT;
        List<String> out = new ArrayList<>();
        for (String s : env.split(",")) if (!s.isBlank()) out.add(s.trim());
        if (!out.contains("static dev.tunelab.kernel.Notebook.*")) out.add("static dev.tunelab.kernel.Notebook.*");
        return out;
    }

    /** Runs the imports whose package exists; returns the ones skipped. */
    static List<String> apply(Evaluator evaluator, List<String> imports) {
        List<String> skipped = new ArrayList<>();
        for (String imp : imports) {
            try { // the compiler rejects a wildcard import of a package that does not exist
                evaluator.eval("import " + imp + ";", new SourceMap.Origin("TUNELAB_KERNEL_IMPORTS", 1));
            } catch (CellException e) {
                skipped.add(imp);
            }
        }
        return skipped;
    }
}
