package dev.tunelab.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * Typed access to the fields of one JSON object, through the column mapping. A missing or
 * mistyped field throws {@link BadField} naming the field as the file spells it; the loader
 * adds the file and line.
 */
public final class Fields {
    private final JsonNode node;
    private final Map<String, String> mapping;
    private final String prefix;

    Fields(JsonNode node, Map<String, String> mapping, String prefix) {
        this.node = node;
        this.mapping = mapping;
        this.prefix = prefix;
    }

    /** A field's problem; the loader turns it into a {@link DataFormatException}. */
    public static final class BadField extends RuntimeException {
        final String field;

        BadField(String field, String problem) {
            super(problem, null, false, false);
            this.field = field;
        }
    }

    /** The file's name for the format's field {@code name}, after mapping. */
    String source(String name) {
        return mapping.getOrDefault(name, name);
    }

    /** How a message names the field: the file's spelling, nested under its parent. */
    String label(String name) {
        String src = source(name);
        return prefix + src + (src.equals(name) ? "" : " (read as " + name + ")");
    }

    private JsonNode raw(String name) {
        JsonNode v = node.get(source(name));
        return v == null || v.isNull() ? null : v;
    }

    public boolean has(String name) {
        return raw(name) != null;
    }

    /** A required string field. */
    public String string(String name) {
        JsonNode v = node.get(source(name));
        if (v == null) throw bad(name, "missing");
        if (v.isNull()) throw bad(name, "is null, expected a string");
        if (!v.isTextual()) throw bad(name, "expected a string, got " + describe(v));
        return v.textValue();
    }

    /** An optional string field: "" when missing or null, an error when of another type. */
    public String optionalString(String name) {
        JsonNode v = raw(name);
        if (v == null) return "";
        if (!v.isTextual()) throw bad(name, "expected a string, got " + describe(v));
        return v.textValue();
    }

    /** A required, non-empty array field. */
    public JsonNode array(String name) {
        JsonNode v = node.get(source(name));
        if (v == null) throw bad(name, "missing");
        if (!v.isArray()) throw bad(name, "expected a list, got " + describe(v));
        if (v.isEmpty()) throw bad(name, "is an empty list");
        return v;
    }

    /** The raw value (null when missing or null), for formats that accept several types. */
    public JsonNode value(String name) {
        return raw(name);
    }

    /** The fields of element {@code i} of the array field {@code name} (an object). */
    public Fields element(String name, JsonNode array, int i) {
        JsonNode e = array.get(i);
        String where = prefix + source(name) + "[" + i + "]";
        if (!e.isObject()) throw new BadField(where, "expected an object, got " + describe(e));
        return new Fields(e, mapping, where + ".");
    }

    public BadField bad(String name, String problem) {
        return new BadField(label(name), problem);
    }

    static String describe(JsonNode v) {
        if (v.isNumber()) return "number " + v.asText();
        if (v.isBoolean()) return v.asText();
        if (v.isArray()) return "a list";
        if (v.isObject()) return "an object";
        if (v.isNull()) return "null";
        if (v.isTextual()) return "a string";
        return v.getNodeType().toString().toLowerCase();
    }

    JsonNode node() {
        return node;
    }
}
