package dev.tunelab.io;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.NullValue;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.beans.FeatureDescriptor;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The jinjava extensions that give chat templates Python's semantics (see {@link JinjaTemplate}):
 * transformers' globals {@code raise_exception} and {@code strftime_now}, {@code str()} for printed
 * values, Python's methods on strings and {@code dict.get(key, default)}, the filters
 * {@code tojson}, {@code trim}, {@code string} and {@code items} as Jinja2 and transformers define
 * them, and the {@code iterable}/{@code sequence} tests that count strings.
 */
final class PythonJinjava {
    private PythonJinjava() {}

    /** Registers everything below in a jinjava global context. */
    static void install(Context globals) {
        globals.registerFunction(new ELFunctionDefinition("", "raise_exception", Functions.class, "raiseException", String.class));
        globals.registerFunction(new ELFunctionDefinition("", "strftime_now", Functions.class, "strftimeNow", String.class));
        // In Jinja2 these globals are variables too: "strftime_now is defined" is true (Llama 3.2 tests it).
        globals.put("raise_exception", Functions.DEFINED);
        globals.put("strftime_now", Functions.DEFINED);
        globals.registerFilter(new ToJson());
        globals.registerFilter(new Trim());
        globals.registerFilter(new StringFilter());
        globals.registerFilter(new Items());
        globals.registerExpTest(new Iterable("iterable"));
        globals.registerExpTest(new Iterable("sequence"));
    }

    /** The globals transformers adds. */
    public static final class Functions {
        static final Object DEFINED = new Object() {
            @Override
            public String toString() {
                return "<function>";
            }
        };

        private Functions() {}

        /** raise_exception(message): transformers raises jinja2.exceptions.TemplateError(message). */
        public static String raiseException(String message) {
            throw new JinjaTemplate.RaisedException(message);
        }

        /** strftime_now(format): datetime.now().strftime(format). */
        public static String strftimeNow(String format) {
            JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
            JinjavaConfig config = interpreter.getConfig();
            ZonedDateTime now = Instant.ofEpochMilli(config.getDateTimeProvider().getCurrentTimeMillis())
                    .atZone(config.getTimeZone());
            return PythonTime.strftime(now, format);
        }
    }

    /** str() for everything a template prints. */
    static final class PythonInterpreterFactory implements InterpreterFactory {
        @Override
        public JinjavaInterpreter newInstance(JinjavaInterpreter orig) {
            return new PythonInterpreter(orig);
        }

        @Override
        public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig config) {
            return new PythonInterpreter(application, context, config);
        }
    }

    static final class PythonInterpreter extends JinjavaInterpreter {
        PythonInterpreter(JinjavaInterpreter orig) {
            super(orig);
        }

        PythonInterpreter(Jinjava application, Context context, JinjavaConfig config) {
            super(application, context, config);
        }

        @Override
        public String getAsString(Object object) {
            return PythonValues.str(object == NullValue.INSTANCE ? null : object);
        }
    }

    /** Python methods on str (see {@link PythonStrings}), s[i] with negative i, and dict.get(key, default). */
    static final class PythonMethods extends ELResolver {
        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
            String name = String.valueOf(method);
            if (base instanceof String s) {
                context.setPropertyResolved(true);
                return PythonStrings.call(s, name, params);
            }
            if (base instanceof Map<?, ?> m && name.equals("get") && params != null && params.length == 2) {
                context.setPropertyResolved(true);
                return m.containsKey(params[0]) ? m.get(params[0]) : params[1];
            }
            return null;
        }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            Integer index = base instanceof String ? integer(property) : null;
            if (index != null) {
                String s = (String) base;
                int i = index < 0 ? s.length() + index : index;
                if (i < 0 || i >= s.length()) {
                    throw new PythonStrings.PythonError("IndexError: string index out of range");
                }
                context.setPropertyResolved(true);
                return String.valueOf(s.charAt(i));
            }
            return null;
        }

        // jinjava passes an index as a number or, from its own resolver, as its decimal text
        private static Integer integer(Object property) {
            if (property instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
                return n.intValue();
            }
            if (property instanceof String p && p.matches("-?\\d{1,9}")) {
                return Integer.parseInt(p);
            }
            return null;
        }

        @Override
        public Class<?> getType(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public void setValue(ELContext context, Object base, Object property, Object value) {}

        @Override
        public boolean isReadOnly(ELContext context, Object base, Object property) {
            return true;
        }

        @Override
        public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
            return null;
        }

        @Override
        public Class<?> getCommonPropertyType(ELContext context, Object base) {
            return null;
        }
    }

    /** A filter with positional and keyword arguments; jinjava's strings-only entry point leads to the same code. */
    abstract static class PythonFilter implements AdvancedFilter {
        private final String name;

        PythonFilter(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }
    }

    /** transformers' tojson: json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False). */
    static final class ToJson extends PythonFilter {
        ToJson() {
            super("tojson");
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            // positional order of transformers' tojson(x, ensure_ascii, indent, separators, sort_keys)
            Object ensureAscii = arg(args, kwargs, 0, "ensure_ascii");
            Object indent = arg(args, kwargs, 1, "indent");
            Object separators = arg(args, kwargs, 2, "separators");
            Object sortKeys = arg(args, kwargs, 3, "sort_keys");
            String item = null;
            String key = null;
            if (separators instanceof List<?> l && l.size() == 2) {
                item = String.valueOf(l.get(0));
                key = String.valueOf(l.get(1));
            } else if (separators != null) {
                throw new PythonStrings.PythonError("tojson: separators must be a pair of strings, got " + PythonValues.repr(separators));
            }
            if (indent != null && !(indent instanceof Number)) {
                throw new PythonStrings.PythonError("tojson: indent must be an integer, got " + PythonValues.repr(indent));
            }
            String json = PythonValues.json(unwrap(var), indent == null ? null : ((Number) indent).intValue(), item, key,
                    Boolean.TRUE.equals(sortKeys));
            return Boolean.TRUE.equals(ensureAscii) ? asciiEscape(json) : json;
        }

        private static Object arg(Object[] args, Map<String, Object> kwargs, int i, String name) {
            return args != null && args.length > i ? args[i] : kwargs.get(name);
        }

        private static String asciiEscape(String s) {
            StringBuilder b = new StringBuilder();
            for (char c : s.toCharArray()) {
                b.append(c < 0x80 ? String.valueOf(c) : String.format("\\u%04x", (int) c));
            }
            return b.toString();
        }
    }

    /** Jinja2's trim(value, chars=None): Python's str.strip. */
    static final class Trim extends PythonFilter {
        Trim() {
            super("trim");
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object chars = args != null && args.length > 0 ? args[0] : kwargs.get("chars");
            return PythonStrings.strip(PythonValues.str(unwrap(var)), chars == null ? null : String.valueOf(chars));
        }
    }

    /** Jinja2's string: Python's str(). */
    static final class StringFilter extends PythonFilter {
        StringFilter() {
            super("string");
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object v = unwrap(var);
            return v == null ? "None" : PythonValues.str(v);
        }
    }

    /** Jinja2's items (3.1): the (key, value) pairs of a mapping, nothing for an undefined value. */
    static final class Items extends PythonFilter {
        Items() {
            super("items");
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object v = unwrap(var);
            if (v == null) {
                return List.of();
            }
            if (!(v instanceof Map<?, ?> m)) {
                throw new PythonStrings.PythonError("items: can only get item pairs from a mapping, not " + PythonValues.typeName(v));
            }
            List<Map.Entry<Object, Object>> out = new ArrayList<>();
            m.forEach((k, x) -> out.add(new AbstractMap.SimpleImmutableEntry<>(k, x)));
            return out;
        }
    }

    /** Jinja2's iterable and sequence tests: strings are both, as in Python. */
    static final class Iterable implements ExpTest {
        private final String name;

        Iterable(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            Object v = unwrap(var);
            return v instanceof String || v instanceof java.lang.Iterable<?> || v instanceof Map<?, ?> || (v != null && v.getClass().isArray());
        }
    }

    private static Object unwrap(Object v) {
        return v == NullValue.INSTANCE ? null : v;
    }
}
