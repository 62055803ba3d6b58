package dev.tunelab.kernel;

import java.util.ArrayList;
import java.util.List;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.UnresolvedReferenceException;

/** Turns JShell's failures into what a notebook user needs: their class, message and frames. */
final class ErrorFormat {
    private static final int MAX_FRAMES = 12;

    private ErrorFormat() {}

    static CellException runtime(JShellException e) {
        if (e instanceof UnresolvedReferenceException u) {
            String msg = "'" + u.getSnippet().source().strip().lines().findFirst().orElse("")
                    + "' cannot run until what it refers to is declared";
            return new CellException("UnresolvedReferenceException", msg);
        }
        String name = e instanceof EvalException ev ? ev.getExceptionClassName() : e.getClass().getName();
        String message = e.getMessage() == null ? "" : e.getMessage();
        if (name.equals(OutOfMemoryError.class.getName())) {
            message += " (the cell ran out of heap: max " + Runtime.getRuntime().maxMemory() / (1 << 20)
                    + " MiB; the kernel is still running; raise -Xmx through TUNELAB_JAVA_OPTS)";
        }
        List<String> lines = new ArrayList<>();
        appendTrace(lines, e, name, message, "");
        return new CellException(name, message, lines);
    }

    private static void appendTrace(List<String> lines, Throwable e, String name, String message, String prefix) {
        lines.add(prefix + name + (message.isEmpty() ? "" : ": " + message));
        int shown = 0;
        for (StackTraceElement frame : e.getStackTrace()) {
            if (isKernelFrame(frame)) break; // everything below the user's cell is kernel plumbing
            if (shown++ == MAX_FRAMES) {
                lines.add("\t...");
                break;
            }
            lines.add("\tat " + frameText(frame));
        }
        Throwable cause = e.getCause();
        if (cause != null && cause != e) {
            String causeName = cause instanceof EvalException ev ? ev.getExceptionClassName() : cause.getClass().getName();
            String causeMsg = cause.getMessage() == null ? "" : cause.getMessage();
            appendTrace(lines, cause, causeName, causeMsg, "Caused by: ");
        }
    }

    private static boolean isKernelFrame(StackTraceElement frame) {
        String cls = frame.getClassName();
        return cls.equals(ResultSlot.class.getName()) || cls.startsWith("jdk.internal.reflect.")
                || cls.startsWith("java.lang.reflect.Method");
    }

    private static String frameText(StackTraceElement frame) {
        // JShell rewrites snippet frames to an empty class and file "#<snippet id>".
        if (frame.getClassName().isEmpty()) {
            String method = frame.getMethodName().equals("do_it$") ? "cell" : frame.getMethodName();
            return method + " (" + frame.getFileName() + ":" + frame.getLineNumber() + ")";
        }
        return frame.toString();
    }

    static CellException compile(Snippet snippet, List<Diag> diags) {
        List<String> lines = new ArrayList<>();
        String source = snippet.source();
        String first = null;
        for (Diag d : diags) {
            if (!d.isError()) continue;
            String msg = d.getMessage(null);
            if (first == null) first = msg;
            lines.add("error: " + msg);
            lines.addAll(pointAt(source, (int) d.getStartPosition(), (int) d.getEndPosition()));
        }
        if (first == null) first = "the snippet was rejected: " + source.strip();
        return new CellException("CompilationException", first, lines.isEmpty() ? List.of(first) : lines);
    }

    private static List<String> pointAt(String source, int start, int end) {
        if (start < 0 || start > source.length()) return List.of();
        int lineStart = source.lastIndexOf('\n', Math.max(0, start - 1)) + 1;
        if (start == 0) lineStart = 0;
        int lineEnd = source.indexOf('\n', start);
        if (lineEnd < 0) lineEnd = source.length();
        String line = source.substring(lineStart, lineEnd);
        int width = Math.max(1, Math.min(end, lineEnd) - start);
        return List.of(line, " ".repeat(start - lineStart) + "^".repeat(width));
    }
}
