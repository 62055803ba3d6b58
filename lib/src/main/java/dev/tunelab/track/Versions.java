package dev.tunelab.track;

import ai.djl.engine.Engine;
import java.util.LinkedHashMap;
import java.util.Map;

/** Versions that decide the numbers a run produces, recorded with every run. */
public final class Versions {
    private Versions() {}

    public static Map<String, String> all() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("tunelab", String.valueOf(Versions.class.getPackage().getImplementationVersion()));
        v.put("java", System.getProperty("java.version"));
        v.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        v.put("djl", String.valueOf(Engine.class.getPackage().getImplementationVersion()));
        try {
            Engine engine = Engine.getInstance();
            v.put("engine", engine.getEngineName() + " " + engine.getVersion());
            v.put("device", engine.defaultDevice().toString());
        } catch (RuntimeException e) {
            v.put("engine", "unavailable: " + e.getMessage());
        }
        v.put("cpu_cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        return v;
    }
}
