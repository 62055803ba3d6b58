package dev.tunelab.track;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The values a history row, a config or a summary may hold, and the flattening of nested maps. */
final class Metrics {
    private Metrics() {}

    /**
     * {@code {"eval": {"loss": 1.2}}} becomes {@code {"eval.loss": 1.2}}; numbers, strings,
     * booleans, lists, nulls and media values (images, charts, tables) are kept as they are.
     *
     * @param what names the argument in error messages ("metrics", "summary")
     */
    static Map<String, Object> flatten(Map<String, ?> values, String what) {
        Map<String, Object> flat = new LinkedHashMap<>();
        flatten("", values, flat, what);
        return flat;
    }

    private static void flatten(String prefix, Map<?, ?> values, Map<String, Object> out, String what) {
        for (Map.Entry<?, ?> e : values.entrySet()) {
            if (!(e.getKey() instanceof String k) || k.isEmpty()) {
                throw new IllegalArgumentException(what + ": keys must be non-empty strings, got '" + e.getKey()
                        + "' under '" + prefix + "'");
            }
            String key = prefix + k;
            Object v = e.getValue();
            if (v instanceof Map<?, ?> nested) {
                flatten(key + ".", nested, out, what);
            } else if (v == null || v instanceof Number || v instanceof String || v instanceof Boolean
                    || v instanceof List<?> || Media.isMedia(v)) {
                out.put(key, v);
            } else {
                throw new IllegalArgumentException(what + " '" + key + "' is a " + v.getClass().getName()
                        + "; expected a number, string, boolean, list, nested Map, BufferedImage, XChart chart or Tablesaw Table");
            }
        }
    }
}
