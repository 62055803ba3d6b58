package dev.tunelab.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShellException;

/**
 * Turns JShell's failures into what a notebook user needs: their class, message and frames,
 * with places named as cell and line ({@code In[7], line 3}) and no trace of JShell's
 * wrapper classes ({@code REPL.$JShell$42}).
 */
final class ErrorFormat {
    private static final int MAX_FRAMES = 12;
    /** JShell's wrapper of a snippet, before a member ("REPL.$JShell$12.x") or nested class ("REPL.$JShell$12$Foo"). */
    private static final Pattern WRAPPER = Pattern.compile("REPL\\.\\$JShell\\$\\d+[.$]");
    /** A lambda's synthetic method: lambda$do_it$$0 (in top-level code) or lambda$f$1 (in method f). */
    private static final Pattern LAMBDA = Pattern.compile("lambda\\$(.*?)\\$\\d+");
    /** javac names the class of a snippet's error "class " with the wrapper's (removed) name. */
    private static final Pattern EMPTY_LOCATION = Pattern.compile("(?m)^\\s*location: class\\s*$\\n?");

    private ErrorFormat() {}

    /** Removes JShell's wrapper names from a message. */
    static String clean(String message) {
        if (message == null) return "";
        String s = WRAPPER.matcher(message).replaceAll("");
        return EMPTY_LOCATION.matcher(s).replaceAll("").stripTrailing();
    }

    /** A runtime failure of user code, with frames named by cell and line. */
    static CellException runtime(JShellException e, SourceMap sources) {
        String name = name(e);
        String message = clean(e.getMessage());
        if (name.equals(OutOfMemoryError.class.getName())) {
            message += " (the cell ran out of heap: max " + Runtime.getRuntime().maxMemory() / (1 << 20)
                    + " MiB; the kernel is still running; raise -Xmx through TUNELAB_JAVA_OPTS)";
        }
        List<String> lines = new ArrayList<>();
        appendTrace(lines, e, name, message, "", sources);
        return new CellException(name, message, lines);
    }

    private static void appendTrace(List<String> lines, Throwable e, String name, String message, String prefix, SourceMap sources) {
        lines.add(prefix + name + (message.isEmpty() ? "" : ": " + message));
        int shown = 0;
        for (StackTraceElement frame : e.getStackTrace()) {
            if (frame.getClassName().equals(ExitGuard.class.getName())) continue; // where the cell's exit call went
            if (isKernelFrame(frame)) break; // everything below the user's cell is kernel plumbing
            if (shown++ == MAX_FRAMES) {
                lines.add("\t...");
                break;
            }
            lines.add("\tat " + frameText(frame, sources));
        }
        Throwable cause = e.getCause();
        if (cause != null && cause != e) {
            appendTrace(lines, cause, name(cause), clean(cause.getMessage()), "Caused by: ", sources);
        }
    }

    /** The user's exception class; the kernel's SystemExit by its short name, as Python's. */
    private static String name(Throwable e) {
        String name = e instanceof EvalException ev ? ev.getExceptionClassName() : e.getClass().getName();
        return name.equals(SystemExit.class.getName()) ? SystemExit.class.getSimpleName() : name;
    }

    private static boolean isKernelFrame(StackTraceElement frame) {
        String cls = frame.getClassName();
        return cls.equals(ResultSlot.class.getName()) || cls.startsWith("jdk.internal.reflect.")
                || cls.startsWith("java.lang.reflect.Method");
    }

    /**
     * JShell rewrites a snippet's frames to its own class name ("" for top-level code and
     * methods), method ("" for top-level code) and file "#id" with the line in the snippet.
     */
    static String frameText(StackTraceElement frame, SourceMap sources) {
        SourceMap.Origin at = sources.locate(frame.getFileName(), frame.getLineNumber());
        if (at == null) return frame.toString();
        String method = methodName(frame.getClassName(), frame.getMethodName());
        return method.isEmpty() ? at.toString() : method + " (" + at + ")";
    }

    private static String methodName(String className, String method) {
        String owner = className.isEmpty() ? "" : className + ".";
        Matcher lambda = LAMBDA.matcher(method);
        if (lambda.matches()) {
            String enclosing = lambda.group(1).equals("do_it$") ? "" : owner + lambda.group(1);
            return enclosing.isEmpty() ? "lambda" : "lambda in " + enclosing;
        }
        return method.isEmpty() ? "" : owner + method;
    }

    /** A snippet the compiler rejected; {@code start} is where its source begins. */
    static CellException compile(String source, List<Diag> diags, SourceMap.Origin start) {
        List<String> lines = new ArrayList<>();
        String first = null;
        for (Diag d : diags) {
            if (!d.isError()) continue;
            String msg = clean(d.getMessage(null));
            if (first == null) first = msg;
            int position = (int) Math.max(0, Math.min(d.getStartPosition(), source.length()));
            SourceMap.Origin at = start.plus(lineIndex(source, position));
            List<String> messageLines = msg.lines().toList();
            // as javac prints it: place and message, the line with a caret, the message's details
            lines.add(at + ": error: " + (messageLines.isEmpty() ? "" : messageLines.get(0)));
            lines.addAll(pointAt(source, position, (int) d.getEndPosition()));
            lines.addAll(messageLines.subList(Math.min(1, messageLines.size()), messageLines.size()));
        }
        if (first == null) first = "the snippet was rejected: " + source.strip();
        return new CellException("CompilationException", first, lines.isEmpty() ? List.of(start + ": " + first) : lines);
    }

    /** The 0-based line of {@code position} in {@code source}. */
    static int lineIndex(String source, int position) {
        int line = 0;
        for (int i = source.indexOf('\n'); i >= 0 && i < position; i = source.indexOf('\n', i + 1)) line++;
        return line;
    }

    private static List<String> pointAt(String source, int start, int end) {
        int lineStart = source.lastIndexOf('\n', Math.max(0, start - 1)) + 1;
        if (start == 0) lineStart = 0;
        int lineEnd = source.indexOf('\n', start);
        if (lineEnd < 0) lineEnd = source.length();
        String line = source.substring(lineStart, lineEnd);
        int width = Math.max(1, Math.min(end, lineEnd) - start);
        return List.of(line, " ".repeat(start - lineStart) + "^".repeat(width));
    }
}
