package dev.tunelab.kernel;

import java.util.List;
import jdk.jshell.Snippet;
import jdk.jshell.SourceCodeAnalysis;

/**
 * What the code above the cursor in the same cell declares, for completion and docs. JShell
 * analyses a snippet against the kernel's state: earlier cells, but not the lines above in
 * this cell, which have not run. So "String s = "abc"; s.subs" completed nothing. The earlier
 * snippets are put before the one being typed as code JShell can analyse without running it:
 * variables and statements open a method body; methods and classes are members of a class
 * around it. Imports cannot be placed there and are left out.
 */
final class CellContext {
    private CellContext() {}

    /** The text to put before the snippet being typed; empty when nothing comes before it. */
    static String prefix(SourceCodeAnalysis analysis, List<String> earlier) {
        StringBuilder members = new StringBuilder();
        StringBuilder statements = new StringBuilder();
        for (String source : earlier) {
            Snippet.Kind kind = analysis.sourceToSnippets(source).stream().map(Snippet::kind).findFirst().orElse(Snippet.Kind.ERRONEOUS);
            switch (kind) {
                case IMPORT -> { }
                case METHOD, TYPE_DECL -> members.append(source).append('\n');
                default -> statements.append(source).append('\n'); // a statement using this cell's names is "erroneous"
            }
        }
        if (members.isEmpty() && statements.isEmpty()) return "";
        String body = "void $cell() {\n" + statements;
        return members.isEmpty() ? body : "class $Cell {\n" + members + body;
    }
}
