package dev.tunelab.export;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.args.LogFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Whether the llama.cpp library bundled in {@code de.kherud:llama} can run here, and if not, why.
 * Its native library is loaded once; tests silence llama.cpp's log per model with
 * {@code ModelParameters.disableLog()} (loading a model resets the logger set here).
 */
final class LlamaCppRuntime {
    /** x86 features the bundled linux-x86_64 libjllama.so executes without checking (seen in its disassembly). */
    static final List<String> X86_FLAGS = List.of("avx2", "fma", "f16c");

    private static String reason;
    private static boolean checked;

    private LlamaCppRuntime() {}

    /** Null when llama.cpp is ready; otherwise what stops it. */
    static synchronized String unavailableReason() {
        if (!checked) {
            checked = true;
            reason = check();
        }
        return reason;
    }

    private static String check() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("Linux") || !Set.of("amd64", "x86_64", "aarch64").contains(arch)) {
            return "de.kherud:llama 4.2.0 is tested here only on Linux x86-64/aarch64, this is " + os + " " + arch;
        }
        if (!arch.equals("aarch64")) {
            Set<String> flags = cpuFlags();
            List<String> missing = X86_FLAGS.stream().filter(f -> !flags.contains(f)).toList();
            if (!missing.isEmpty()) {
                return "this CPU lacks " + missing + ", which the bundled libjllama.so (llama.cpp b4916) uses without a"
                        + " runtime check: loading it would end the JVM with SIGILL";
            }
        }
        try {
            // The binding extracts libjllama.so into java.io.tmpdir unless told otherwise; a folder of
            // our own keeps concurrent test runs from replacing each other's copy.
            Path dir = Files.createTempDirectory("tunelab-jllama");
            dir.toFile().deleteOnExit(); // registered first, so deleted after the library inside it
            dir.resolve(System.mapLibraryName("jllama")).toFile().deleteOnExit();
            System.setProperty("de.kherud.llama.tmpdir", dir.toString());
            LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> { }); // the first use loads libjllama.so
            return null;
        } catch (IOException e) {
            return "no temporary folder for the native library: " + e;
        } catch (LinkageError e) {
            // e.g. "libgomp.so.1: cannot open shared object file", or a glibc older than 2.17
            return "the native library of de.kherud:llama did not load: " + e;
        }
    }

    private static Set<String> cpuFlags() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("flags"))
                    .findFirst()
                    .map(l -> Arrays.stream(l.substring(l.indexOf(':') + 1).trim().split("\\s+")).collect(Collectors.toSet()))
                    .orElse(Set.of());
        } catch (IOException e) {
            return Set.of();
        }
    }
}
