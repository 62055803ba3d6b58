package dev.tunelab.io;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Python's {@code str} methods, for chat templates that call them ({@code message['content'].strip()},
 * {@code role.startswith('sys')}, ...): Jinja2 hands templates real Python strings, jinjava hands
 * them {@link String}s, whose methods have other names and other rules (Java's {@code strip()}
 * knows fewer whitespace characters than Python's, {@code split} takes a regex). Each method here
 * follows the Python 3 documentation of {@code str}.
 */
final class PythonStrings {
    private PythonStrings() {}

    /**
     * What Python would raise (AttributeError, TypeError, ValueError). Not an
     * IllegalArgumentException: jinjava takes that from a method call to mean "no such method"
     * and prints nothing.
     */
    static final class PythonError extends RuntimeException {
        PythonError(String message) {
            super(message);
        }
    }

    /**
     * The value of a Jinja2 string literal, quotes included in {@code literal}: Jinja2 decodes it
     * with Python's "unicode-escape" codec (jinja2/lexer.py), so \\n, \\t, \\xhh, \\uXXXX,
     * \\UXXXXXXXX, octal escapes and the others of Python's table work, an unknown escape keeps its
     * backslash, and a backslash before a newline removes both.
     */
    static String literalValue(String literal) {
        String s = literal.substring(1, literal.length() - 1);
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 == s.length()) {
                b.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case '\n' -> { }
                case '\\', '\'', '"' -> b.append(e);
                case 'a' -> b.append('\u0007');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'v' -> b.append('\u000b');
                case 'x', 'u', 'U' -> {
                    int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    String hex = i + 1 + digits <= s.length() ? s.substring(i + 1, i + 1 + digits) : "";
                    if (!hex.matches("[0-9a-fA-F]+")) {
                        throw new PythonError("truncated \\" + e + " escape in " + literal);
                    }
                    b.appendCodePoint(Integer.parseInt(hex, 16));
                    i += digits;
                }
                default -> {
                    if (e >= '0' && e <= '7') { // up to three octal digits
                        int end = i;
                        while (end < s.length() && end < i + 3 && s.charAt(end) >= '0' && s.charAt(end) <= '7') {
                            end++;
                        }
                        b.append((char) Integer.parseInt(s.substring(i, end), 8));
                        i = end - 1;
                    } else {
                        b.append('\\').append(e);
                    }
                }
            }
        }
        return b.toString();
    }

    /** Python's str.isspace() for one character (Unicode White_Space as CPython defines it). */
    static boolean isSpace(char c) {
        return (c >= '\t' && c <= '\r') || (c >= '\u001c' && c <= '\u001f') || c == ' ' || c == '\u0085'
                || c == '\u00a0' || c == '\u1680' || (c >= '\u2000' && c <= '\u200a') || c == '\u2028'
                || c == '\u2029' || c == '\u202f' || c == '\u205f' || c == '\u3000';
    }

    /** Python's str.isspace(): not empty and only whitespace. */
    static boolean isSpace(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!isSpace(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean strips(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    /** str.strip([chars]); {@code chars} null means whitespace. */
    static String strip(String s, String chars) {
        return lstrip(rstrip(s, chars), chars);
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strips(s.charAt(i), chars)) {
            i++;
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && strips(s.charAt(j - 1), chars)) {
            j--;
        }
        return s.substring(0, j);
    }

    /** str.split(sep=None, maxsplit=-1): runs of whitespace without sep, every sep otherwise. */
    static List<String> split(String s, String sep, int maxsplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            while (true) {
                while (i < s.length() && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i == s.length()) {
                    return out;
                }
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(rstrip(s.substring(i), null));
                    return out;
                }
                int j = i;
                while (j < s.length() && !isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
        }
        if (sep.isEmpty()) {
            throw new PythonError("ValueError: empty separator");
        }
        int from = 0;
        int at;
        while ((maxsplit < 0 || out.size() < maxsplit) && (at = s.indexOf(sep, from)) >= 0) {
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    /** str.title(): the first cased character of every run of letters upper-case, the rest lower-case. */
    static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            previousCased = Character.isLetter(c);
        }
        return b.toString();
    }

    /** str.capitalize(): first character upper-case, the rest lower-case. */
    static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toTitleCase(s.charAt(0)) + s.substring(1).toLowerCase(Locale.ROOT);
    }

    /** str.count(sub): non-overlapping occurrences. */
    static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    /** str.replace(old, new[, count]). */
    static String replace(String s, String old, String replacement, int count) {
        if (count < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder b = new StringBuilder();
        int from = 0;
        for (int done = 0; done < count; done++) {
            if (old.isEmpty()) { // Python inserts before every character, then at the end
                if (from > s.length()) {
                    break;
                }
                b.append(replacement);
                if (from < s.length()) {
                    b.append(s.charAt(from));
                }
                from++;
                continue;
            }
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            b.append(s, from, at).append(replacement);
            from = at + old.length();
        }
        if (from < s.length()) {
            b.append(s, from, s.length());
        }
        return b.toString();
    }

    /**
     * Calls the Python str method {@code name} on {@code s}.
     *
     * @throws PythonError for a method Python's str has not, or that is not implemented
     *     here (named, as Python's AttributeError would)
     */
    static Object call(String s, String name, Object[] args) {
        Object[] a = args == null ? new Object[0] : args;
        switch (name) {
            case "strip": return strip(s, optString(name, a, 0));
            case "lstrip": return lstrip(s, optString(name, a, 0));
            case "rstrip": return rstrip(s, optString(name, a, 0));
            case "upper": return noArgs(name, a, s.toUpperCase(Locale.ROOT));
            case "lower": return noArgs(name, a, s.toLowerCase(Locale.ROOT));
            case "title": return noArgs(name, a, title(s));
            case "capitalize": return noArgs(name, a, capitalize(s));
            case "startswith": return affix(s, name, a, true);
            case "endswith": return affix(s, name, a, false);
            case "split": return split(s, optString(name, a, 0), a.length > 1 ? toInt(name, a[1]) : -1);
            case "splitlines": return noArgs(name, a, splitlines(s));
            case "replace": return replace(s, string(name, a, 0), string(name, a, 1), a.length > 2 ? toInt(name, a[2]) : -1);
            case "count": return count(s, string(name, a, 0));
            case "find": return s.indexOf(string(name, a, 0));
            case "rfind": return s.lastIndexOf(string(name, a, 0));
            case "join": return join(s, name, a);
            case "isspace": return noArgs(name, a, isSpace(s));
            case "isdigit": return noArgs(name, a, !s.isEmpty() && s.chars().allMatch(Character::isDigit));
            case "isalpha": return noArgs(name, a, !s.isEmpty() && s.chars().allMatch(Character::isLetter));
            case "islower": return noArgs(name, a, s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(Locale.ROOT)));
            case "isupper": return noArgs(name, a, s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(Locale.ROOT)));
            default:
                throw new PythonError("'str' object has no attribute '" + name
                        + "' (the Python string methods available to chat templates are strip, lstrip, rstrip, "
                        + "upper, lower, title, capitalize, startswith, endswith, split, splitlines, replace, "
                        + "count, find, rfind, join, isspace, isdigit, isalpha, islower, isupper)");
        }
    }

    // str.splitlines(): no empty last piece after a final line break
    private static List<String> splitlines(String s) {
        List<String> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            boolean isBreak = c == '\n' || c == '\r' || c == '\u000b' || c == '\u000c' || (c >= '\u001c' && c <= '\u001e')
                    || c == '\u0085' || c == '\u2028' || c == '\u2029';
            if (isBreak) {
                out.add(s.substring(start, i));
                i += c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n' ? 2 : 1;
                start = i;
            } else {
                i++;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    private static Object affix(String s, String name, Object[] a, boolean prefix) {
        if (a.length == 0) {
            throw new PythonError(name + "() takes at least 1 argument (0 given)");
        }
        int start = a.length > 1 && a[1] != null ? toInt(name, a[1]) : 0;
        int end = a.length > 2 && a[2] != null ? toInt(name, a[2]) : s.length();
        String part = s.substring(clamp(start, s.length()), Math.max(clamp(start, s.length()), clamp(end, s.length())));
        List<?> options = a[0] instanceof List<?> l ? l : List.of(a[0]);
        for (Object o : options) {
            if (!(o instanceof String p)) {
                throw new PythonError(name + " first arg must be str or a tuple of str, not " + PythonValues.typeName(o));
            }
            if (prefix ? part.startsWith(p) : part.endsWith(p)) {
                return true;
            }
        }
        return false;
    }

    private static int clamp(int i, int n) {
        return i < 0 ? Math.max(0, n + i) : Math.min(i, n);
    }

    private static String join(String sep, String name, Object[] a) {
        if (a.length != 1 || !(a[0] instanceof Iterable<?> items)) {
            throw new PythonError(name + "() takes one iterable argument");
        }
        StringBuilder b = new StringBuilder();
        boolean first = true;
        for (Object o : items) {
            if (!(o instanceof String str)) {
                throw new PythonError("sequence item: expected str instance, " + PythonValues.typeName(o) + " found");
            }
            if (!first) {
                b.append(sep);
            }
            b.append(str);
            first = false;
        }
        return b.toString();
    }

    private static <T> T noArgs(String name, Object[] a, T result) {
        if (a.length != 0) {
            throw new PythonError("str." + name + "() takes no arguments (" + a.length + " given)");
        }
        return result;
    }

    private static String optString(String name, Object[] a, int i) {
        return a.length > i && a[i] != null ? string(name, a, i) : null;
    }

    private static String string(String name, Object[] a, int i) {
        if (a.length <= i) {
            throw new PythonError("str." + name + "() is missing argument " + (i + 1));
        }
        if (!(a[i] instanceof String s)) {
            throw new PythonError("str." + name + "() argument " + (i + 1) + " must be str, not "
                    + PythonValues.typeName(a[i]));
        }
        return s;
    }

    private static int toInt(String name, Object o) {
        if (o instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return n.intValue();
        }
        throw new PythonError("str." + name + "(): an integer is required, got " + PythonValues.typeName(o));
    }
}
