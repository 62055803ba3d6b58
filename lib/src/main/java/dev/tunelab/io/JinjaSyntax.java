package dev.tunelab.io;

import dev.tunelab.io.JinjaSource.Tok;
import java.util.List;
import java.util.Set;

/**
 * Rewrites of a tag's content where Jinja2's grammar and jinjava's differ, so that jinjava computes
 * what Jinja2 would (jinja2/parser.py is the reference):
 * <ul>
 *   <li>{@code not} binds loosely in Jinja2 (below comparisons and tests: {@code not x is defined}
 *       is {@code not (x is defined)}, {@code not a == b} is {@code not (a == b)}) but tightly in
 *       jinjava, so its operand is put in parentheses, up to the next {@code and}, {@code or},
 *       {@code if}, {@code else}, comma, colon or closing bracket;
 *   <li>{@code {% for x in items if cond %}} (a filtered loop, whose {@code loop.index} and
 *       {@code loop.last} count only the kept items) is not a jinjava feature: it becomes a loop
 *       that collects the kept items into a list, then a plain loop over that list.
 * </ul>
 */
final class JinjaSyntax {
    private JinjaSyntax() {}

    private static final Set<String> NOT_OPERAND_ENDS = Set.of("and", "or", "if", "else", ",", ":");

    /** The tag for jinjava: {@code {{ ... }}}, {@code {% ... %}}, or several tags for a filtered loop. */
    static String rewrite(boolean statement, String content, List<Tok> tokens, int serial) {
        if (statement && !tokens.isEmpty() && tokens.get(0).text().equals("for")) {
            String loop = filteredLoop(content, tokens, serial);
            if (loop != null) {
                return loop;
            }
        }
        String body = grouped(content, tokens, 0, tokens.size());
        return statement ? "{% " + body + " %}" : "{{ " + body + " }}";
    }

    /** {@code for T in ITER if COND}: the kept items first, then the loop over them; null for a plain loop. */
    private static String filteredLoop(String content, List<Tok> tokens, int serial) {
        int in = find(tokens, 1, "in");
        int cond = in < 0 ? -1 : find(tokens, in + 1, "if");
        if (cond < 0) {
            return null;
        }
        int end = tokens.size();
        if (tokens.get(end - 1).text().equals("recursive")) {
            throw new JinjaSource.SyntaxError("a recursive loop with a filter ('for ... if ... recursive') is not supported");
        }
        String targets = content.substring(tokens.get(1).start(), tokens.get(in - 1).end());
        List<String> names = tokens.subList(1, in).stream().map(Tok::text)
                .filter(t -> !t.equals(",") && !t.equals("(") && !t.equals(")")).toList();
        String item = names.size() == 1 ? names.get(0) : "[" + String.join(", ", names) + "]";
        String kept = "__tunelab_kept_" + serial;
        return "{% set " + kept + " = [] %}"
                + "{% for " + targets + " in " + grouped(content, tokens, in + 1, cond) + " %}"
                + "{% if " + grouped(content, tokens, cond + 1, end) + " %}"
                + "{% do " + kept + ".append(" + item + ") %}{% endif %}{% endfor %}"
                + "{% for " + targets + " in " + kept + " %}";
    }

    /** Index of the first {@code word} at bracket depth 0 from {@code from}, or -1. */
    private static int find(List<Tok> tokens, int from, String word) {
        int depth = 0;
        for (int i = from; i < tokens.size(); i++) {
            String t = tokens.get(i).text();
            depth += opens(t) ? 1 : closes(t) ? -1 : 0;
            if (depth == 0 && t.equals(word)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The content of tokens [from, to) for jinjava: every unary {@code not}'s operand in
     * parentheses, string literals re-escaped, and no "}}" between two closing braces (jinjava would
     * end the expression there).
     */
    private static String grouped(String content, List<Tok> tokens, int from, int to) {
        StringBuilder out = new StringBuilder();
        for (int k = from; k < to; k++) {
            if (k > from) {
                out.append(content, tokens.get(k - 1).end(), tokens.get(k).start()); // the whitespace between
            }
            Tok t = tokens.get(k);
            if (isUnaryNot(tokens, k) && k + 1 < to) {
                int end = operandEnd(tokens, k + 1, to);
                out.append("not (").append(grouped(content, tokens, k + 1, end)).append(')');
                k = end - 1;
            } else if (t.text().startsWith("'") || t.text().startsWith("\"")) {
                out.append(jinjavaLiteral(PythonStrings.literalValue(t.text())));
            } else {
                if (t.text().equals("}") && k > from && tokens.get(k - 1).text().equals("}")
                        && tokens.get(k - 1).end() == t.start()) {
                    out.append(' ');
                }
                out.append(t.text());
            }
        }
        return out.toString();
    }

    // jinjava's string literals know only the escapes \\, \', \", \n, \t, \b, \f and \r; any other
    // character may stand as it is (newlines included)
    private static String jinjavaLiteral(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    // "not" as an operator of its own: not the second word of "is not" or the first of "not in"
    private static boolean isUnaryNot(List<Tok> tokens, int k) {
        if (!tokens.get(k).text().equals("not")) {
            return false;
        }
        String before = k > 0 ? tokens.get(k - 1).text() : "";
        String after = k + 1 < tokens.size() ? tokens.get(k + 1).text() : "";
        return !before.equals("is") && !before.equals(".") && !after.equals("in");
    }

    private static int operandEnd(List<Tok> tokens, int from, int to) {
        int depth = 0;
        for (int i = from; i < to; i++) {
            String t = tokens.get(i).text();
            if (opens(t)) {
                depth++;
            } else if (closes(t)) {
                if (depth == 0) {
                    return i;
                }
                depth--;
            } else if (depth == 0 && NOT_OPERAND_ENDS.contains(t) && i > from) {
                return i;
            }
        }
        return to;
    }

    private static boolean opens(String t) {
        return t.equals("(") || t.equals("[") || t.equals("{");
    }

    private static boolean closes(String t) {
        return t.equals(")") || t.equals("]") || t.equals("}");
    }
}
