package dev.tunelab.track;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Versions and settings that decide the numbers a run produces, recorded with every run (the
 * {@code _tunelab} block of its config, also sent to W&amp;B). A value that cannot be found is
 * left out rather than written as a placeholder.
 *
 * <ul>
 *   <li>{@code tunelab}: from {@code version.properties}, which Maven fills in from the project
 *       version (resource filtering); else the jar manifest's Implementation-Version.</li>
 *   <li>{@code java}, {@code os}, {@code cpu_cores}.</li>
 *   <li>{@code djl}: DJL's own answer ({@link Engine#getDjlVersion()}, its jar's specification
 *       version; DJL's jars carry no Implementation-Version).</li>
 *   <li>{@code engine}, {@code pytorch} (the native libtorch version loaded), {@code device}.</li>
 *   <li>{@code intra_op_threads}, {@code inter_op_threads}: the thread counts libtorch uses now.
 *   <li>{@code cpu}: the CPU's model name, where the OS tells it (sampled numbers depend on it too).
 *       Reductions split their work by the intra-op count, so sums, and with them sampled tokens,
 *       can differ in the last bits between counts; {@code OMP_NUM_THREADS} sets it at start.</li>
 * </ul>
 */
public final class Versions {
    private static final String TUNELAB_RESOURCE = "version.properties";

    private Versions() {}

    public static Map<String, String> all() {
        Map<String, String> v = new LinkedHashMap<>();
        put(v, "tunelab", tunelab());
        put(v, "java", System.getProperty("java.version"));
        put(v, "os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        put(v, "djl", Engine.getDjlVersion());
        try {
            Engine engine = Engine.getInstance();
            put(v, "engine", engine.getEngineName());
            if ("PyTorch".equals(engine.getEngineName())) {
                put(v, "pytorch", engine.getVersion());
                put(v, "intra_op_threads", Integer.toString(JniUtils.getNumThreads()));
                put(v, "inter_op_threads", Integer.toString(JniUtils.getNumInteropThreads()));
            } else {
                put(v, "engine_version", engine.getVersion());
            }
            put(v, "device", engine.defaultDevice().toString());
        } catch (RuntimeException | LinkageError e) {
            // no native library (e.g. offline without the CPU jar): say so instead of guessing
            v.put("engine", "unavailable: " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
        }
        put(v, "cpu_cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        put(v, "cpu", cpuModel());
        return v;
    }

    /** tunelab's version, or null when neither the filtered resource nor a manifest has it. */
    static String tunelab() {
        try (InputStream in = Versions.class.getResourceAsStream(TUNELAB_RESOURCE)) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String version = p.getProperty("tunelab");
                // an unfiltered copy (a build that bypassed Maven) still holds the ${...} placeholder
                if (known(version) && !version.contains("${")) {
                    return version.trim();
                }
            }
        } catch (IOException e) {
            // unreadable: fall through to the manifest
        }
        return Versions.class.getPackage().getImplementationVersion();
    }

    /**
     * The CPU's model name (Linux's /proc/cpuinfo), or null where it cannot be read: matrix
     * kernels round differently on different CPUs, so sampled numbers can differ between two
     * machines even at the same seed and thread count.
     */
    static String cpuModel() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return null; // not Linux, or not readable: left out
        }
        return null;
    }

    private static void put(Map<String, String> v, String key, String value) {
        if (known(value)) {
            v.put(key, value.trim());
        }
    }

    private static boolean known(String value) {
        return value != null && !value.isBlank() && !value.trim().equals("null");
    }
}
