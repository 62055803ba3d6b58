package dev.tunelab.io;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Jinja2's lexer rules, applied to a template's text before jinjava sees it. transformers renders
 * chat templates with {@code trim_blocks=True, lstrip_blocks=True} and Jinja2's defaults
 * ({@code keep_trailing_newline=False}); jinjava's versions of these rules differ (its lstrip
 * strips spaces before a tag even when text precedes it on the line, its {@code -} markers do not
 * act on expressions or comments unless configured, and it keeps the last newline). So this class
 * does all whitespace handling the way Jinja2's lexer does (jinja2/lexer.py, {@code tokeniter})
 * and hands jinjava a template whose text is already final: every tag is written back without
 * its {@code -}/{@code +} markers, comments are dropped, and jinjava runs with trim/lstrip off.
 *
 * <p>Also done here, since it needs the same tokens: transformers' {@code {% generation %}} tag
 * (it marks assistant text for {@code return_assistant_tokens_mask}) is removed, leaving its body;
 * and the names of the filters and tests the template uses are collected, so an unknown one is an
 * error before rendering (Jinja2 refuses it at compile time, jinjava would print nothing).
 */
final class JinjaSource {

    /** The template for jinjava, and the filter and test names it uses. */
    record Translated(String jinjava, Set<String> filters, Set<String> tests) {}

    /** A template that Jinja2's lexer would refuse. */
    static final class SyntaxError extends RuntimeException {
        SyntaxError(String message) {
            super(message);
        }
    }

    /** A token of a tag's content: its text and where it is in the content. */
    record Tok(String text, int start, int end) {}

    /** An open block: its statement name and where its opening tag is in the output. */
    private record Open(String name, int outStart, int outEnd, int serial) {}

    private static final Set<String> BLOCKS = Set.of("for", "if", "macro", "call", "filter", "block", "with", "autoescape");

    private final String src;
    private final StringBuilder out = new StringBuilder();
    private final Set<String> filters = new LinkedHashSet<>();
    private final Set<String> tests = new LinkedHashSet<>();
    // the block statements open at this point, to find the "for" an "else" belongs to
    private final Deque<Open> open = new ArrayDeque<>();
    private int pos;
    private int serial; // numbers the helper variables of rewritten loops
    // Jinja2's line_starting: the last token consumed ended with a newline (or nothing was consumed yet)
    private boolean lineStarting = true;

    private JinjaSource(String src) {
        this.src = src;
    }

    static Translated translate(String template) {
        JinjaSource s = new JinjaSource(normalizeNewlines(template));
        s.run();
        return new Translated(s.out.toString(), Set.copyOf(s.filters), Set.copyOf(s.tests));
    }

    /** \r\n, \r and \n become \n, and one trailing newline is dropped (keep_trailing_newline=False). */
    static String normalizeNewlines(String s) {
        String n = s.replace("\r\n", "\n").replace('\r', '\n');
        return n.endsWith("\n") ? n.substring(0, n.length() - 1) : n;
    }

    private void run() {
        while (pos < src.length()) {
            int tag = nextTagStart(pos);
            if (tag < 0) {
                out.append(src, pos, src.length());
                return;
            }
            char kind = src.charAt(tag + 1);
            boolean raw = kind == '%' && rawBeginEnd(tag) > 0;
            char marker = tag + 2 < src.length() ? src.charAt(tag + 2) : 0;
            String text = src.substring(pos, tag);
            out.append(beforeTag(text, kind, marker == '-' || marker == '+' ? marker : 0));
            int contentStart = tag + 2 + (marker == '-' || marker == '+' ? 1 : 0);
            if (raw) {
                rawBlock(tag);
            } else if (kind == '#') {
                comment(contentStart);
            } else {
                tag(kind, contentStart);
            }
        }
    }

    /** The first "{{", "{%" or "{#" at or after {@code from}. */
    private int nextTagStart(int from) {
        for (int i = from; i + 1 < src.length(); i++) {
            if (src.charAt(i) == '{') {
                char c = src.charAt(i + 1);
                if (c == '{' || c == '%' || c == '#') {
                    return i;
                }
            }
        }
        return -1;
    }

    /**
     * The text before a tag, with the tag's effect on it: "-" strips all whitespace before the tag;
     * otherwise lstrip_blocks strips spaces and tabs between the line start and a block or comment
     * tag, when nothing else is on that line before it ("+" turns this off).
     */
    private String beforeTag(String text, char kind, char marker) {
        if (marker == '-') {
            return PythonStrings.rstrip(text, null);
        }
        if (marker != '+' && kind != '{') {
            int lineStart = text.lastIndexOf('\n') + 1;
            if ((lineStart > 0 || lineStarting) && lineStart < text.length()
                    && PythonStrings.isSpace(text.substring(lineStart))) {
                return text.substring(0, lineStart);
            }
        }
        return text;
    }

    /** {@code {% raw %}...{% endraw %}}: the text inside is kept as written. */
    private void rawBlock(int tag) {
        int bodyStart = rawBeginEnd(tag);
        lineStarting = src.charAt(bodyStart - 1) == '\n';
        int search = bodyStart;
        while (true) {
            int end = src.indexOf("{%", search);
            if (end < 0) {
                throw new SyntaxError("missing {% endraw %} for the {% raw %} at " + where(tag));
            }
            int k = end + 2;
            char marker = k < src.length() && (src.charAt(k) == '-' || src.charAt(k) == '+') ? src.charAt(k++) : 0;
            k = skipSpace(k);
            if (src.startsWith("endraw", k)) {
                int afterName = skipSpace(k + "endraw".length());
                int close = blockEnd(afterName, true);
                if (close >= 0) {
                    String body = beforeTag(src.substring(bodyStart, end), '%', marker);
                    out.append("{% raw %}").append(body).append("{% endraw %}");
                    pos = close;
                    lineStarting = src.charAt(close - 1) == '\n';
                    return;
                }
            }
            search = end + 2;
        }
    }

    /** Where the body of a raw block starts, when {@code tag} opens one; -1 when it does not. */
    private int rawBeginEnd(int tag) {
        int k = tag + 2;
        if (k < src.length() && (src.charAt(k) == '-' || src.charAt(k) == '+')) {
            k++;
        }
        k = skipSpace(k);
        if (!src.startsWith("raw", k)) {
            return -1;
        }
        k = skipSpace(k + 3);
        // jinja2: raw begin ends with "-%}\s*" or "%}" (no trim_blocks newline)
        if (src.startsWith("-%}", k)) {
            return skipSpace(k + 3);
        }
        return src.startsWith("%}", k) ? k + 2 : -1;
    }

    /** A comment: dropped, with its end's effect on the text after it. */
    private void comment(int from) {
        for (int i = from; i < src.length(); i++) {
            if (src.startsWith("+#}", i)) {
                finishTag(i + 3);
                return;
            }
            if (src.startsWith("-#}", i)) {
                finishTag(skipSpace(i + 3));
                return;
            }
            if (src.startsWith("#}", i)) {
                finishTag(trimBlocksNewline(i + 2));
                return;
            }
        }
        throw new SyntaxError("missing end of comment tag for the {# at " + where(from - 2));
    }

    /** An expression {{ ... }} or a statement {% ... %}: written back without markers. */
    private void tag(char kind, int from) {
        List<Tok> tokens = new ArrayList<>();
        int depth = 0;
        int i = from;
        while (true) {
            if (i >= src.length()) {
                throw new SyntaxError("unclosed " + (kind == '{' ? "{{" : "{%") + " at " + where(from - 2));
            }
            if (depth == 0) {
                int end = kind == '{' ? variableEnd(i) : blockEnd(i, true);
                if (end >= 0) {
                    emit(kind, src.substring(from, i), tokens, from);
                    finishTag(end);
                    return;
                }
            }
            char c = src.charAt(i);
            int j;
            if (c == '\'' || c == '"') {
                j = stringEnd(i);
            } else if (Character.isLetter(c) || c == '_') {
                j = i + 1;
                while (j < src.length() && (Character.isLetterOrDigit(src.charAt(j)) || src.charAt(j) == '_')) {
                    j++;
                }
            } else if (Character.isWhitespace(c)) {
                i++;
                continue;
            } else {
                if (c == '(' || c == '[' || c == '{') {
                    depth++;
                } else if (c == ')' || c == ']' || c == '}') {
                    if (depth == 0) {
                        throw new SyntaxError("unexpected '" + c + "' at " + where(i));
                    }
                    depth--;
                }
                j = i + 1;
            }
            tokens.add(new Tok(src.substring(i, j), i - from, j - from));
            i = j;
        }
    }

    /** After "}}" (or "-}}" and the whitespace after it): the index past the tag, or -1. */
    private int variableEnd(int i) {
        if (src.startsWith("-}}", i)) {
            return skipSpace(i + 3);
        }
        return src.startsWith("}}", i) ? i + 2 : -1;
    }

    /** After "%}" (with trim_blocks' newline), "+%}" or "-%}" (and whitespace): the index past it, or -1. */
    private int blockEnd(int i, boolean trimBlocks) {
        if (src.startsWith("+%}", i)) {
            return i + 3;
        }
        if (src.startsWith("-%}", i)) {
            return skipSpace(i + 3);
        }
        if (src.startsWith("%}", i)) {
            return trimBlocks ? trimBlocksNewline(i + 2) : i + 2;
        }
        return -1;
    }

    private int trimBlocksNewline(int i) {
        return i < src.length() && src.charAt(i) == '\n' ? i + 1 : i;
    }

    private void finishTag(int end) {
        lineStarting = end > 0 && src.charAt(end - 1) == '\n';
        pos = end;
    }

    /** Index just past the closing quote of the string literal starting at {@code i}. */
    private int stringEnd(int i) {
        char q = src.charAt(i);
        for (int j = i + 1; j < src.length(); j++) {
            char c = src.charAt(j);
            if (c == '\\') {
                j++;
            } else if (c == q) {
                return j + 1;
            }
        }
        throw new SyntaxError("unclosed string literal at " + where(i));
    }

    private void emit(char kind, String content, List<Tok> tokens, int contentStart) {
        collectNames(tokens, contentStart);
        String name = tokens.isEmpty() ? "" : tokens.get(0).text();
        if (kind == '%' && (name.equals("generation") || name.equals("endgeneration"))) {
            return; // transformers' AssistantTracker tag: renders its body
        }
        if (kind == '%' && name.equals("else") && !open.isEmpty() && open.peek().name().equals("for")) {
            forElse(open.pop());
            return;
        }
        if (kind == '%' && name.equals("endfor") && !open.isEmpty() && open.peek().name().equals("for-else")) {
            open.pop();
            out.append("{% endif %}");
            return;
        }
        int n = serial++;
        int start = out.length();
        out.append(JinjaSyntax.rewrite(kind == '%', content, tokens, n));
        boolean blockSet = name.equals("set") && tokens.stream().noneMatch(t -> t.text().equals("="));
        if (kind == '%' && (BLOCKS.contains(name) || blockSet)) {
            open.push(new Open(name, start, out.length(), n));
        } else if (kind == '%' && name.startsWith("end") && !open.isEmpty()) {
            open.pop();
        }
    }

    /**
     * {@code {% for %}...{% else %}...{% endfor %}}: jinjava has no else on loops, so the loop
     * notes that it ran once in a list, and the else part becomes {@code {% if not <list> %}}.
     */
    private void forElse(Open loop) {
        String ran = "__tunelab_ran_" + loop.serial();
        out.insert(loop.outEnd(), "{% do " + ran + ".append(1) %}");
        out.insert(loop.outStart(), "{% set " + ran + " = [] %}");
        out.append("{% endfor %}{% if not ").append(ran).append(" %}");
        open.push(new Open("for-else", loop.outStart(), loop.outEnd(), loop.serial()));
    }

    /**
     * Filter names follow "|", test names follow "is" (or "is not"); loop attributes jinjava lacks
     * ({@code loop.previtem}, {@code loop.nextitem}, {@code loop.changed}) are refused.
     */
    private void collectNames(List<Tok> tokens, int contentStart) {
        for (int i = 0; i + 1 < tokens.size(); i++) {
            String t = tokens.get(i).text();
            String next = tokens.get(i + 1).text();
            if (t.equals("|") && isName(next)) {
                filters.add(next);
            } else if (t.equals("is")) {
                int k = i + 1;
                if (next.equals("not") && k + 1 < tokens.size()) {
                    k++;
                }
                if (isName(tokens.get(k).text())) {
                    tests.add(tokens.get(k).text());
                }
            } else if (t.equals("loop") && next.equals(".") && i + 2 < tokens.size()
                    && List.of("previtem", "nextitem", "changed").contains(tokens.get(i + 2).text())) {
                throw new SyntaxError("loop." + tokens.get(i + 2).text() + " at " + where(contentStart + tokens.get(i).start())
                        + " is not supported by the Jinja engine (jinjava)");
            }
        }
    }

    private static boolean isName(String t) {
        return !t.isEmpty() && (Character.isLetter(t.charAt(0)) || t.charAt(0) == '_');
    }

    // Jinja2 matches "\s" (Unicode whitespace) after "-%}", "-}}" and "-#}"
    private int skipSpace(int i) {
        while (i < src.length() && PythonStrings.isSpace(src.charAt(i))) {
            i++;
        }
        return i;
    }

    private String where(int i) {
        int line = 1;
        int col = 1;
        for (int k = 0; k < i && k < src.length(); k++) {
            if (src.charAt(k) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return "line " + line + ", column " + col;
    }
}
