package dev.tunelab.io;

import java.math.BigDecimal;
import java.util.Map;

/**
 * How Python writes values, for the output of chat templates: {@code str()} for what
 * {@code {{ x }}} prints (True, not true), {@code repr()} inside lists and dicts, and
 * {@code json.dumps} for transformers' {@code tojson} filter ({@code ensure_ascii=False},
 * separators {@code ", "} and {@code ": "}, or {@code ","} and {@code ": "} with an indent; see
 * {@code tojson} in transformers/utils/chat_template_utils.py).
 */
final class PythonValues {
    private PythonValues() {}

    /** Python's str(value) as a template prints it; null (None or undefined) prints as nothing. */
    static String str(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof String s) {
            return s;
        }
        return repr(v);
    }

    /** Python's repr(value) for the types JSON and templates produce. */
    static String repr(Object v) {
        StringBuilder b = new StringBuilder();
        repr(v, b);
        return b.toString();
    }

    private static void repr(Object v, StringBuilder b) {
        if (v == null) {
            b.append("None");
        } else if (v instanceof Boolean bool) {
            b.append(bool ? "True" : "False");
        } else if (v instanceof String s) {
            reprString(s, b);
        } else if (v instanceof Double || v instanceof Float) {
            b.append(floatRepr(((Number) v).doubleValue()));
        } else if (v instanceof Number n) {
            b.append(n instanceof BigDecimal d ? floatRepr(d.doubleValue()) : n.toString());
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append(first ? "" : ", ");
                repr(e.getKey(), b);
                b.append(": ");
                repr(e.getValue(), b);
                first = false;
            }
            b.append('}');
        } else if (v instanceof Iterable<?> items) {
            b.append('[');
            boolean first = true;
            for (Object o : items) {
                b.append(first ? "" : ", ");
                repr(o, b);
                first = false;
            }
            b.append(']');
        } else if (v instanceof Map.Entry<?, ?> e) { // dict.items() elements are tuples
            b.append('(');
            repr(e.getKey(), b);
            b.append(", ");
            repr(e.getValue(), b);
            b.append(')');
        } else {
            b.append(v);
        }
    }

    // Python quotes with ' unless the text has ' and no ", and escapes \, the quote and non-printables
    private static void reprString(String s, StringBuilder b) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        b.append(q);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == q || c == '\\') {
                b.append('\\').append(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        b.append(q);
    }

    /** Python's repr(float): shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        BigDecimal x = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = x.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - x.scale(); // d = 0.digits * 10^(exponent+1)
        String sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
        }
        String plain = x.abs().toPlainString();
        return sign + (plain.contains(".") ? plain : plain + ".0");
    }

    /** json.dumps(v, ensure_ascii=False, indent=indent, separators=..., sort_keys=sortKeys). */
    static String json(Object v, Integer indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        String items = itemSeparator != null ? itemSeparator : indent == null ? ", " : ",";
        String keys = keySeparator != null ? keySeparator : ": ";
        StringBuilder b = new StringBuilder();
        json(v, indent, items, keys, sortKeys, 0, b);
        return b.toString();
    }

    private static void json(Object v, Integer indent, String items, String keys, boolean sortKeys, int level,
            StringBuilder b) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof Boolean bool) {
            b.append(bool);
        } else if (v instanceof String s) {
            jsonString(s, b);
        } else if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
            double d = ((Number) v).doubleValue();
            b.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : floatRepr(d));
        } else if (v instanceof Number n) {
            b.append(n);
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                b.append("{}");
                return;
            }
            var entries = new java.util.ArrayList<Map.Entry<?, ?>>(m.entrySet());
            if (sortKeys) {
                entries.sort((x, y) -> String.valueOf(x.getKey()).compareTo(String.valueOf(y.getKey())));
            }
            b.append('{');
            for (int i = 0; i < entries.size(); i++) {
                b.append(i == 0 ? "" : items);
                newline(indent, level + 1, b);
                Object k = entries.get(i).getKey();
                jsonString(k instanceof String s ? s : String.valueOf(k), b);
                b.append(keys);
                json(entries.get(i).getValue(), indent, items, keys, sortKeys, level + 1, b);
            }
            newline(indent, level, b);
            b.append('}');
        } else if (v instanceof Iterable<?> list) {
            var values = new java.util.ArrayList<Object>();
            list.forEach(values::add);
            if (values.isEmpty()) {
                b.append("[]");
                return;
            }
            b.append('[');
            for (int i = 0; i < values.size(); i++) {
                b.append(i == 0 ? "" : items);
                newline(indent, level + 1, b);
                json(values.get(i), indent, items, keys, sortKeys, level + 1, b);
            }
            newline(indent, level, b);
            b.append(']');
        } else {
            throw new PythonStrings.PythonError("Object of type " + typeName(v) + " is not JSON serializable");
        }
    }

    private static void newline(Integer indent, int level, StringBuilder b) {
        if (indent != null) {
            b.append('\n').append(" ".repeat(indent * level));
        }
    }

    private static void jsonString(String s, StringBuilder b) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    /** The Python type name of a value, for error messages. */
    static String typeName(Object v) {
        if (v == null) {
            return "NoneType";
        }
        if (v instanceof String) {
            return "str";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
            return "float";
        }
        if (v instanceof Number) {
            return "int";
        }
        if (v instanceof Map) {
            return "dict";
        }
        if (v instanceof Iterable) {
            return "list";
        }
        return v.getClass().getSimpleName();
    }
}
