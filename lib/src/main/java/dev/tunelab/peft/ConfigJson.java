package dev.tunelab.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/** Typed reads of adapter_config.json fields; a bad field is named with what was expected. */
final class ConfigJson {
    static final ObjectMapper JSON = new ObjectMapper();

    private ConfigJson() {}

    static JsonNode required(JsonNode root, String field, String expected) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing field '" + field + "' (expected " + expected + ")");
        }
        return v;
    }

    static int requiredInt(JsonNode root, String field) {
        JsonNode v = required(root, field, "an integer");
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException("field '" + field + "': expected an integer, got " + v);
        }
        return v.intValue();
    }

    static int optionalInt(JsonNode root, String field, int fallback) {
        JsonNode v = root.get(field);
        return v == null || v.isNull() ? fallback : requiredInt(root, field);
    }

    static double requiredNumber(JsonNode root, String field) {
        JsonNode v = required(root, field, "a number");
        if (!v.isNumber()) {
            throw new IllegalArgumentException("field '" + field + "': expected a number, got " + v);
        }
        return v.doubleValue();
    }

    static double optionalNumber(JsonNode root, String field, double fallback) {
        JsonNode v = root.get(field);
        return v == null || v.isNull() ? fallback : requiredNumber(root, field);
    }

    static boolean optionalBool(JsonNode root, String field, boolean fallback) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException("field '" + field + "': expected true or false, got " + v);
        }
        return v.booleanValue();
    }

    static String requiredText(JsonNode root, String field) {
        JsonNode v = required(root, field, "a string");
        if (!v.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "': expected a string, got " + v);
        }
        return v.textValue();
    }

    static String optionalText(JsonNode root, String field, String fallback) {
        JsonNode v = root.get(field);
        return v == null || v.isNull() ? fallback : requiredText(root, field);
    }

    /** A list of strings; {@code null} when the field holds one string (a pattern, read by the caller). */
    static List<String> stringList(JsonNode root, String field) {
        JsonNode v = required(root, field, "a list of module names or a pattern string");
        if (v.isTextual()) {
            return null;
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException("field '" + field + "': expected a list of module names or a pattern string, got " + v);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw new IllegalArgumentException("field '" + field + "': expected strings, got " + e);
            }
            out.add(e.textValue());
        }
        return out;
    }

    /** A number written as an integer when it is one, as Python's json writes PEFT's ints. */
    static void putNumber(com.fasterxml.jackson.databind.node.ObjectNode n, String field, double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            n.put(field, (long) v);
        } else {
            n.put(field, v);
        }
    }
}
