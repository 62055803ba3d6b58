package dev.tunelab.track;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One arm of a sweep: its number, a run name ({@code <sweep>-<index>}) and its config.
 * Use {@link #run(Path)} for a run of your own, or pass {@link #name()} to a trainer's run name.
 */
public record Trial(String sweep, int index, Map<String, Object> config) {
    public String name() {
        return sweep + "-" + index;
    }

    public double getDouble(String key) {
        return ((Number) value(key)).doubleValue();
    }

    public int getInt(String key) {
        return ((Number) value(key)).intValue();
    }

    public Object get(String key) {
        return value(key);
    }

    /** A run for this trial: its config plus {@code sweep} and {@code trial}. */
    public Run run(Path runsDir) {
        Map<String, Object> c = new LinkedHashMap<>(config);
        c.put("sweep", sweep);
        c.put("trial", index);
        return Run.builder(name()).runsDir(runsDir).config(c).start();
    }

    private Object value(String key) {
        if (!config.containsKey(key)) {
            throw new IllegalArgumentException("trial " + name() + " has no parameter '" + key + "'; it has " + config.keySet());
        }
        return config.get(key);
    }
}
