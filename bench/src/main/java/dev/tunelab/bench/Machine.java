package dev.tunelab.bench;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;

/** Where the figures were taken: CPU, cores, the engine's thread count, software versions. */
public record Machine(String cpuModel, int cores, int threads, String date, String java, String djl, String libtorch) {

    /** This machine; starts the PyTorch engine (which reads OMP_NUM_THREADS as it starts). */
    public static Machine current() {
        Engine engine = Engine.getEngine("PyTorch");
        return new Machine(readCpuModel(), Runtime.getRuntime().availableProcessors(), JniUtils.getNumThreads(),
                LocalDate.now(ZoneOffset.UTC).toString(), System.getProperty("java.version"), Engine.getDjlVersion(),
                engine.getVersion());
    }

    private static String readCpuModel() {
        try {
            return firstModelName(Files.readAllLines(Path.of("/proc/cpuinfo")));
        } catch (IOException e) {
            return "unknown CPU (/proc/cpuinfo not readable)";
        }
    }

    /** The first "model name" of /proc/cpuinfo. */
    static String firstModelName(List<String> cpuinfo) {
        for (String line : cpuinfo) {
            if (line.startsWith("model name")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    return line.substring(colon + 1).trim();
                }
            }
        }
        return "unknown CPU (no model name in /proc/cpuinfo)";
    }
}
