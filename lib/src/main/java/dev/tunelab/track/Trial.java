package dev.tunelab.track;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One arm of a sweep: its number, a run name ({@code <sweep>-<index>}) and its config.
 * Use {@link #run(Path)} for a run of your own, or {@code TrainConfig.trial(trial)} for a trainer's.
 * A trial a W&amp;B sweep agent handed out also carries the W&amp;B settings for its run (the run id
 * and sweep the controller chose); {@code wandb} is null for trials of a sweep run here.
 */
public record Trial(String sweep, int index, Map<String, Object> config, WandbSettings wandb) {
    public Trial(String sweep, int index, Map<String, Object> config) {
        this(sweep, index, config, null);
    }

    /**
     * The trial a W&amp;B sweep agent asked for: its parameters come as {@code --name=value} (or
     * {@code --name value}) arguments; numbers and booleans are read as such, the rest as text.
     * The run id is {@code WANDB_RUN_ID} when the agent set it.
     */
    public static Trial fromArgs(String sweep, String... args) {
        Map<String, Object> config = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || args[i].length() < 3) {
                throw new IllegalArgumentException("argument " + (i + 1) + " '" + args[i]
                        + "': expected --name=value (as a W&B sweep agent passes parameters)");
            }
            String arg = args[i].substring(2);
            int eq = arg.indexOf('=');
            if (eq > 0) {
                config.put(arg.substring(0, eq), parse(arg.substring(eq + 1)));
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                config.put(arg, parse(args[++i]));
            } else {
                config.put(arg, true);
            }
        }
        return new Trial(sweep, 0, config);
    }

    private static Object parse(String v) {
        if (v.equals("true") || v.equals("false") || v.equals("True") || v.equals("False")) {
            return Boolean.parseBoolean(v.toLowerCase(Locale.ROOT));
        }
        if (v.matches("[-+]?\\d{1,18}")) {
            return Long.parseLong(v);
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return v;
        }
    }

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
        Run.Builder run = Run.builder(name()).runsDir(runsDir).config(c);
        if (wandb != null) {
            run.wandb(wandb);
        }
        return run.start();
    }

    private Object value(String key) {
        if (!config.containsKey(key)) {
            throw new IllegalArgumentException("trial " + name() + " has no parameter '" + key + "'; it has " + config.keySet());
        }
        return config.get(key);
    }
}
