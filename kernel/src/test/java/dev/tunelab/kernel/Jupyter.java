package dev.tunelab.kernel;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's Jupyter (/usr/bin/python3, /usr/bin/jupyter) against the kernel built in
 * target/classes. Without Jupyter the tests skip, unless CI is set: then they fail.
 */
final class Jupyter {
    static final Path MODULE = Path.of("").toAbsolutePath();
    static final Path TARGET = MODULE.resolve("target");

    private Jupyter() {}

    static String python() {
        return System.getenv().getOrDefault("TUNELAB_PYTHON", "/usr/bin/python3");
    }

    /** Skips (or fails on CI) when the Jupyter client is missing. */
    static void requireJupyter() throws Exception {
        boolean present = Files.isExecutable(Path.of(python()))
                && run(List.of(python(), "-c", "import jupyter_client, nbclient, jupyter_kernel_test"), MODULE, Map.of(), 60).exit == 0;
        if (!present) {
            String why = "Jupyter is not installed (apt-get install -y --no-install-recommends jupyter-nbconvert jupyter-client python3-jupyter-kernel-test)";
            if (System.getenv("CI") != null && !System.getenv("CI").isEmpty()) fail(why);
            assumeTrue(false, why);
        }
    }

    /** JUPYTER_PATH and class path that make "tunelab" resolve to this build's kernel. */
    static Map<String, String> kernelEnv() throws IOException {
        Path kernels = TARGET.resolve("jupyter/kernels");
        Files.createDirectories(kernels);
        Path link = kernels.resolve("tunelab");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, MODULE.resolve("spec/tunelab"));
        String classPath = TARGET.resolve("classes") + java.io.File.pathSeparator
                + Files.readString(TARGET.resolve("kernel.classpath")).strip();
        return Map.of("JUPYTER_PATH", TARGET.resolve("jupyter").toString(), "TUNELAB_CLASSPATH", classPath);
    }

    record Outcome(int exit, String output) {}

    static Outcome run(List<String> command, Path dir, Map<String, String> env, long timeoutSeconds) throws Exception {
        Path log = Files.createTempFile("tunelab-jupyter", ".log");
        try {
            var builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(env);
            Process p = builder.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return new Outcome(-1, "timed out after " + timeoutSeconds + " s\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Outcome(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
