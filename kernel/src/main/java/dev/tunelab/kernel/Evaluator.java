package dev.tunelab.kernel;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.MethodSnippet;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.Completeness;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;

/** JShell with state across cells, real result objects, interrupts, completion and docs. */
public final class Evaluator implements AutoCloseable {
    /** What a cell produced: the value of its last snippet when that is an expression. */
    public record Result(boolean hasValue, Object value) {
        static final Result NONE = new Result(false, null);
    }

    private final CellExecutionControl control = new CellExecutionControl();
    private final SourceMap sources = new SourceMap();
    private final JShell shell;
    private final SourceCodeAnalysis analysis;
    private volatile boolean interrupted;

    public Evaluator() {
        shell = JShell.builder()
                .executionEngine(new CellExecutionControl.Provider(control), Map.of())
                .compilerOptions("-Xlint:none")
                .build();
        analysis = shell.sourceCodeAnalysis();
        // Local execution loads from the kernel's class path; the compiler must see it too.
        String classPath = System.getProperty("java.class.path", "");
        if (!classPath.isEmpty()) shell.addToClasspath(classPath);
    }

    /** Runs code as an unnamed cell; errors name it "cell". */
    public Result eval(String code) throws CellException {
        return eval(code, new SourceMap.Origin("cell", 1));
    }

    /** Runs code snippet by snippet, stopping at the first error; {@code start} is where the code begins. */
    public Result eval(String code, SourceMap.Origin start) throws CellException {
        interrupted = false;
        control.takeStopped();
        Result result = Result.NONE;
        Map<DeclarationSnippet, SourceMap.Origin> waiting = new LinkedHashMap<>();
        try {
            for (Piece piece : snippets(code)) {
                result = evalSnippet(piece.source(), start.plus(piece.line()), waiting);
                if (interrupted || control.takeStopped()) throw interruptedError();
            }
        } finally {
            // JShell keeps a declaration that refers to what does not exist yet; say so now, not at first
            // use, unless a later line of the same cell declared it (methods calling each other)
            waiting.forEach((declaration, origin) -> {
                Snippet.Status status = shell.status(declaration);
                if (status == Snippet.Status.RECOVERABLE_DEFINED || status == Snippet.Status.RECOVERABLE_NOT_DEFINED) {
                    System.err.println(origin + ": note: " + waitsFor(declaration));
                }
            });
        }
        return result;
    }

    private Result evalSnippet(String source, SourceMap.Origin origin, Map<DeclarationSnippet, SourceMap.Origin> waiting)
            throws CellException {
        ExitGuard.take();
        List<SnippetEvent> events = shell.eval(source);
        for (SnippetEvent event : events) {
            if (event.causeSnippet() == null) sources.record(event.snippet().id(), origin);
        }
        Result result = Result.NONE;
        for (SnippetEvent event : events) {
            if (event.causeSnippet() != null) continue; // updates of dependent snippets
            if (event.exception() != null) throw failure(event.exception());
            Snippet snippet = event.snippet();
            if (event.status() == Snippet.Status.REJECTED) {
                throw ErrorFormat.compile(snippet.source(), shell.diagnostics(snippet).collect(Collectors.toList()), origin);
            }
            boolean recoverable = event.status() == Snippet.Status.RECOVERABLE_DEFINED
                    || event.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED;
            if (recoverable && snippet instanceof DeclarationSnippet declaration) {
                waiting.put(declaration, origin);
            }
            Object value = ResultSlot.take();
            if (isExpression(snippet)) result = new Result(true, value);
        }
        SystemExit caught = ExitGuard.take();
        if (caught != null) throw new CellException("SystemExit", caught.caughtMessage()); // an exit ends the cell all the same
        return result;
    }

    private CellException failure(JShellException e) {
        ExitGuard.take(); // an exit that reached JShell is this very error
        if (e instanceof EvalException ev && ev.getExceptionClassName().equals(ThreadDeath.class.getName())) return interruptedError();
        if (e instanceof UnresolvedReferenceException u) return unresolved(u.getSnippet());
        return ErrorFormat.runtime(e, sources);
    }

    private CellException unresolved(DeclarationSnippet snippet) {
        SourceMap.Origin declared = sources.locate("#" + snippet.id(), 1);
        String where = declared == null ? "" : " (declared at " + declared + ")";
        return new CellException("UnresolvedReferenceException", waitsFor(snippet) + where);
    }

    /** "f() cannot be invoked until variable x and method g() are declared". */
    private String waitsFor(DeclarationSnippet snippet) {
        List<String> missing = shell.unresolvedDependencies(snippet).collect(Collectors.toList());
        String what = switch (snippet.kind()) {
            case METHOD -> snippet.name() + "(" + ((MethodSnippet) snippet).parameterTypes() + ") cannot be invoked";
            case VAR -> "variable " + snippet.name() + " cannot be used";
            default -> snippet.subKind().name().replace("_SUBKIND", "").replace('_', ' ').toLowerCase(Locale.ROOT)
                    + " " + snippet.name() + " cannot be used"; // "class Foo", "record Point", ...
        };
        if (missing.isEmpty()) return what + " until what it refers to is declared";
        String names = missing.size() == 1 ? missing.get(0)
                : String.join(", ", missing.subList(0, missing.size() - 1)) + " and " + missing.get(missing.size() - 1);
        return what + " until " + names + (missing.size() == 1 ? " is" : " are") + " declared";
    }

    private static boolean isExpression(Snippet snippet) {
        return snippet instanceof ExpressionSnippet
                || snippet instanceof VarSnippet && snippet.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND;
    }

    private static CellException interruptedError() {
        return new CellException("InterruptedException", "the cell was interrupted");
    }

    /** A snippet's source, without the blank text before it, and the 0-based line of the cell it starts on. */
    record Piece(String source, int line) {}

    /**
     * Splits code into its snippets, in order. Leading blank lines are cut from each: JShell
     * numbers the lines of a snippet that starts with a newline wrongly (all as line 1).
     */
    List<Piece> snippets(String code) {
        List<Piece> pieces = new ArrayList<>();
        int offset = 0;
        String remaining = code;
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            if (info.completeness() == Completeness.EMPTY) break;
            boolean complete = info.completeness().isComplete();
            String source = complete ? info.source() : remaining; // incomplete: let the compiler say what is wrong
            int start = offset + remaining.length() - remaining.stripLeading().length();
            pieces.add(new Piece(source.stripLeading(), ErrorFormat.lineIndex(code, start)));
            if (!complete) break;
            offset += remaining.length() - info.remaining().length();
            remaining = info.remaining();
        }
        return pieces;
    }

    /** Stops the running snippet and the rest of the cell. Called from another thread. */
    public void interrupt() {
        interrupted = true;
        shell.stop();
    }

    /** Adds jars or class folders (separated by the path separator) for compiling and running. */
    public void addToClasspath(String path) {
        shell.addToClasspath(path);
    }

    public void addToClasspath(List<String> paths) {
        if (!paths.isEmpty()) addToClasspath(String.join(File.pathSeparator, paths));
    }

    /** Completions at {@code cursor}: replacement start, end and the candidates. */
    public record Completions(int start, int end, List<String> matches) {}

    public Completions complete(String code, int cursor) {
        Located at = locate(code, cursor);
        for (String prefix : prefixes(at)) {
            String input = prefix + at.source;
            int[] anchor = new int[1];
            List<SourceCodeAnalysis.Suggestion> suggestions = analysis.completionSuggestions(input, prefix.length() + at.cursor, anchor);
            if (suggestions.isEmpty() || anchor[0] < prefix.length()) continue;
            List<String> matches = suggestions.stream().filter(SourceCodeAnalysis.Suggestion::matchesType)
                    .map(SourceCodeAnalysis.Suggestion::continuation).distinct().collect(Collectors.toList());
            if (matches.isEmpty()) {
                matches = suggestions.stream().map(SourceCodeAnalysis.Suggestion::continuation).distinct().collect(Collectors.toList());
            }
            return new Completions(at.offset + anchor[0] - prefix.length(), cursor, matches);
        }
        return new Completions(cursor, cursor, List.of());
    }

    /** What to analyse the snippet at the cursor with: the cell's code above it, then the snippet alone. */
    private List<String> prefixes(Located at) {
        String prefix = at.earlier.isEmpty() ? "" : CellContext.prefix(analysis, at.earlier);
        return prefix.isEmpty() ? List.of("") : List.of(prefix, "");
    }

    /** Signatures and javadoc of what is at {@code cursor}, or empty. */
    public String documentation(String code, int cursor) {
        Located at = locate(code, cursor);
        for (String prefix : prefixes(at)) {
            String source = prefix + at.source;
            int position = prefix.length() + at.cursor;
            String doc = docs(source, position);
            if (doc.isEmpty()) { // JShell documents calls; "Math.max|" becomes "Math.max(|"
                doc = docs(source.substring(0, position) + "(" + source.substring(position), position + 1);
            }
            if (!doc.isEmpty()) return doc;
        }
        return "";
    }

    private String docs(String source, int cursor) {
        return analysis.documentation(source, cursor, true).stream()
                .map(d -> d.javadoc() == null || d.javadoc().isBlank() ? d.signature() : d.signature() + "\n" + d.javadoc())
                .collect(Collectors.joining("\n\n"));
    }

    /** "complete", "incomplete" or "invalid", as Jupyter's is_complete asks. */
    public String completeness(String code) {
        String remaining = code;
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            switch (info.completeness()) {
                case EMPTY: return "complete";
                case DEFINITELY_INCOMPLETE: case CONSIDERED_INCOMPLETE: return "incomplete";
                case UNKNOWN: return "invalid";
                default: remaining = info.remaining();
            }
        }
        return "complete";
    }

    /** The snippet holding the cursor, up to the cursor; where it starts in the cell; the snippets before it. */
    private record Located(String source, int cursor, int offset, List<String> earlier) {}

    private Located locate(String code, int cursor) {
        int offset = 0;
        String remaining = code;
        List<String> earlier = new ArrayList<>();
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            if (!info.completeness().isComplete() || info.completeness() == Completeness.EMPTY) break;
            int consumed = remaining.length() - info.remaining().length();
            if (offset + consumed >= cursor) break;
            earlier.add(info.source());
            offset += consumed;
            remaining = info.remaining();
        }
        int end = Math.min(code.length(), Math.max(cursor, offset));
        return new Located(code.substring(offset, end), end - offset, offset, earlier);
    }

    /** JShell's loader for snippets; null until the first snippet ran. */
    public ClassLoader snippetLoader() {
        return control.snippetLoader();
    }

    @Override
    public void close() {
        shell.close();
    }
}
