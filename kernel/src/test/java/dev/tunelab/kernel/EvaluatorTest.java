package dev.tunelab.kernel;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EvaluatorTest {
    static Evaluator evaluator;

    @BeforeAll static void start() {
        evaluator = new Evaluator();
    }

    @AfterAll static void stop() {
        evaluator.close();
    }

    @Test void stateIsKeptAndLastExpressionIsTheRealObject() throws Exception {
        evaluator.eval("var xs = new java.util.ArrayList<Integer>(); xs.add(1);");
        Evaluator.Result r = evaluator.eval("xs.add(2);\nxs");
        assertTrue(r.hasValue());
        assertEquals(java.util.List.of(1, 2), r.value());
        assertEquals(java.util.ArrayList.class, r.value().getClass());
    }

    @Test void declarationsAndStatementsHaveNoValue() throws Exception {
        assertFalse(evaluator.eval("int q = 3;").hasValue());
        assertFalse(evaluator.eval("System.out.print(\"\");").hasValue());
        assertEquals(4, evaluator.eval("q + 1").value());
    }

    @Test void userExceptionShowsItsClassMessageAndFrames() throws Exception {
        evaluator.eval("void boom() { throw new IllegalStateException(\"bad state\"); }");
        CellException e = assertThrows(CellException.class, () -> evaluator.eval("int a = 1;\nboom();"));
        assertEquals("java.lang.IllegalStateException", e.name());
        assertEquals("bad state", e.getMessage());
        assertEquals("java.lang.IllegalStateException: bad state", e.traceback().get(0));
        assertEquals("\tat boom (cell, line 1)", e.traceback().get(1));
        assertEquals("\tat cell, line 2", e.traceback().get(2));
        assertFalse(e.traceback().toString().contains("ResultSlot"), e.traceback().toString());
        assertEquals(5, evaluator.eval("2 + 3").value(), "usable after an exception");
    }

    @Test void compileErrorNamesTheProblem() {
        CellException e = assertThrows(CellException.class, () -> evaluator.eval("int z = \"text\";"));
        assertEquals("CompilationException", e.name());
        assertTrue(e.getMessage().contains("incompatible types"), e.getMessage());
    }

    private static SourceMap.Origin cell(int number) {
        return new SourceMap.Origin(SourceMap.cellLabel(number), 1);
    }

    @Test void runtimeFramesNameTheCellAndLineWhereTheCodeIs() throws Exception {
        evaluator.eval("\n\n// fill one slot\nvoid fill(int[] slots, int n) {\n  int twice = 2 * n;\n  slots[twice] = 1;\n}", cell(3));
        CellException e = assertThrows(CellException.class,
                () -> evaluator.eval("int[] slots = new int[2];\n\n   fill(slots, 4);", cell(4)));
        assertEquals(List.of("java.lang.ArrayIndexOutOfBoundsException: Index 8 out of bounds for length 2",
                "\tat fill (In[3], line 6)", "\tat In[4], line 3"), e.traceback());
    }

    @Test void lambdasClassesAndCausesAreNamedToo() throws Exception {
        evaluator.eval("class Parser {\n  int parse(String s) {\n    return Integer.parseInt(s);\n  }\n}", cell(10));
        CellException e = assertThrows(CellException.class, () -> evaluator.eval(
                "var p = new Parser();\nRunnable r = () -> {\n  try {\n    p.parse(\"x\");\n  } catch (NumberFormatException bad) {\n"
                        + "    throw new IllegalStateException(\"unparsable\", bad);\n  }\n};\nr.run();", cell(11)));
        List<String> t = e.traceback();
        assertEquals("java.lang.IllegalStateException: unparsable", t.get(0));
        assertEquals("\tat lambda (In[11], line 6)", t.get(1));
        assertEquals("\tat In[11], line 9", t.get(2));
        assertEquals("Caused by: java.lang.NumberFormatException: For input string: \"x\"", t.get(3));
        assertTrue(t.contains("\tat Parser.parse (In[10], line 3)"), t.toString());
        assertTrue(t.contains("\tat lambda (In[11], line 4)"), t.toString());
        assertTrue(t.stream().noneMatch(l -> l.contains("#") || l.contains("$JShell")), t.toString());
    }

    @Test void nullPointerMessagesNameTheVariableNotJShellsWrapper() throws Exception {
        evaluator.eval("String missing = null;", cell(20));
        CellException e = assertThrows(CellException.class, () -> evaluator.eval("int n = 1;\nmissing.length()", cell(21)));
        assertEquals("Cannot invoke \"String.length()\" because \"missing\" is null", e.getMessage());
        assertEquals("\tat In[21], line 2", e.traceback().get(1));
    }

    @Test void compileErrorsGiveTheLineAndNoEmptyLocation() {
        CellException e = assertThrows(CellException.class,
                () -> evaluator.eval("int ok = 1;\n\n  int sum = ok +\n      nosuch;", cell(30)));
        assertEquals("CompilationException", e.name());
        assertEquals(List.of("In[30], line 4: error: cannot find symbol", "      nosuch;", "      ^^^^^^",
                "  symbol:   variable nosuch"), e.traceback());
        assertEquals("cannot find symbol\n  symbol:   variable nosuch", e.getMessage());
    }

    @Test void declarationsWaitingForANameSayWhatTheyWaitFor() throws Exception {
        evaluator.eval("double area() { return side * side; }", cell(40));
        CellException e = assertThrows(CellException.class, () -> evaluator.eval("area()", cell(41)));
        assertEquals("UnresolvedReferenceException", e.name());
        assertEquals("area() cannot be invoked until variable side is declared (declared at In[40], line 1)", e.getMessage());
        evaluator.eval("double side = 3;", cell(42));
        assertEquals(9.0, evaluator.eval("area()", cell(43)).value());
    }

    @Test void aNoteOnlyForNamesTheCellDoesNotDeclareLater() throws Exception {
        var err = new java.io.ByteArrayOutputStream();
        var saved = System.err;
        System.setErr(new java.io.PrintStream(err, true));
        try {
            // methods calling each other in one cell: the first waits for the second only until the next line
            evaluator.eval("int twice(int x) { return add(x, x); }\nint add(int a, int b) { return a + b; }", cell(44));
            assertEquals("", err.toString());
            evaluator.eval("int later() { return missing(); }", cell(45));
        } finally {
            System.setErr(saved);
        }
        assertEquals(6, evaluator.eval("twice(3)", cell(46)).value());
        assertEquals("In[45], line 1: note: later() cannot be invoked until method missing() is declared",
                err.toString().strip());
    }

    @Test void cellMagicsKeepTheLineNumbersOfTheCell() {
        Cells cells = new Cells(evaluator, new MavenResolver(MavenResolver.defaultLocalRepo(), java.util.Set.of()));
        CellException e = assertThrows(CellException.class,
                () -> cells.run("%%time\nint a = 1;\nint b = a / 0;", "In[50]"));
        assertEquals("\tat In[50], line 3", e.traceback().get(1));
        e = assertThrows(CellException.class,
                () -> cells.run("int c = 1;\n%classpath .\n\nint d = c / 0;", "In[51]"));
        assertEquals("\tat In[51], line 4", e.traceback().get(1));
    }

    private static final String LIVES_ON = " was called: the cell stops here; the kernel and its variables live on"
            + " (restart the kernel to start afresh)";

    @Test void systemExitEndsTheCellNotTheKernel() throws Exception {
        evaluator.eval("int kept = 41;", cell(60));
        CellException e = assertThrows(CellException.class, () -> evaluator.eval("kept++;\nSystem.exit(1);\nkept++;", cell(61)));
        assertEquals("SystemExit", e.name());
        assertEquals(List.of("SystemExit: System.exit(1)" + LIVES_ON, "\tat In[61], line 2"), e.traceback());
        assertEquals(42, evaluator.eval("kept", cell(62)).value(), "state kept, the rest of the cell not run");
    }

    @Test void runtimeExitHaltAndMethodReferencesEndTheCellToo() throws Exception {
        String[][] cases = {
            {"Runtime.getRuntime().exit(2);", "Runtime.exit(2)"},
            {"var rt = Runtime.getRuntime();\nrt.halt(3);", "Runtime.halt(3)"},
            {"java.util.function.IntConsumer quit = System::exit;\nquit.accept(4);", "System.exit(4)"},
            {"java.util.function.IntConsumer stop = Runtime.getRuntime()::halt;\nstop.accept(5);", "Runtime.halt(5)"},
            {"new Thread(() -> {}).start();\nRunnable r = () -> System.exit(6);\nr.run();", "System.exit(6)"},
        };
        for (String[] c : cases) {
            CellException e = assertThrows(CellException.class, () -> evaluator.eval(c[0], cell(63)), c[0]);
            assertEquals(c[1] + LIVES_ON, e.getMessage(), c[0]);
        }
        assertEquals(7, evaluator.eval("3 + 4").value());
    }

    @Test void exitsInMethodsWithSwitchesAndWideConstantsAreFound() throws Exception {
        evaluator.eval("int pick(int k) {\n"
                + "  switch (k) { case 1: return 10; case 2: return 20; case 3: return 30; case 4: return 40; default: break; }\n"
                + "  switch (k) { case 100: return 1; case 100_000: return 2; default: break; }\n"
                + "  long big = 1234567890123L; double huge = 2.5e300;\n"
                + "  if (k > 7) Runtime.getRuntime().halt(k);\n"
                + "  return (int) (big % 7 + huge / huge);\n}", cell(64));
        assertEquals(20, evaluator.eval("pick(2)").value());
        assertEquals(2, evaluator.eval("pick(100_000)").value());
        assertEquals(2, evaluator.eval("pick(6)").value(), "1234567890123 % 7 + 1");
        CellException e = assertThrows(CellException.class, () -> evaluator.eval("pick(9)", cell(65)));
        assertEquals(List.of("SystemExit: Runtime.halt(9)" + LIVES_ON, "\tat pick (In[64], line 5)", "\tat In[65], line 1"), e.traceback());
    }

    @Test void aCaughtSystemExitStillEndsTheCell() {
        CellException e = assertThrows(CellException.class, () -> evaluator.eval(
                "try {\n  System.exit(7);\n} catch (Throwable t) {\n  // carry on\n}", cell(66)));
        assertEquals("SystemExit", e.name());
        assertTrue(e.getMessage().startsWith("System.exit(7) was called and the cell's code caught its SystemExit"), e.getMessage());
    }

    @Test void anExitOutsideTheCellsCodeIsTracedToItsCaller() {
        StackTraceElement[] stack = {
            new StackTraceElement("java.lang.Shutdown", "exit", "Shutdown.java", 1),
            new StackTraceElement("java.lang.Runtime", "exit", "Runtime.java", 2),
            new StackTraceElement("java.lang.System", "exit", "System.java", 3),
            new StackTraceElement("org.example.Cli", "quit", "Cli.java", 40),
            new StackTraceElement("REPL.$JShell$12", "do_it$", "$JShell$12.java", 5),
            new StackTraceElement("dev.tunelab.kernel.ResultSlot", "run", "ResultSlot.java", 27),
        };
        assertEquals(List.of("SystemExit: System.exit was called; the kernel process is ending",
                "\tat org.example.Cli.quit(Cli.java:40)", "\tat the cell's code"),
                ExitNotice.exitCaller(java.util.Map.of(Thread.currentThread(), stack)));
        assertNull(ExitNotice.exitCaller(java.util.Map.of(Thread.currentThread(), new StackTraceElement[] {stack[3]})),
                "no thread in Runtime.exit: a signal, nothing to answer");
    }

    @Test void classesWithoutExitCallsLoadAsCompiled() throws Exception {
        byte[] plain;
        try (var in = Evaluator.class.getResourceAsStream("Evaluator.class")) {
            plain = in.readAllBytes();
        }
        assertSame(plain, ExitCalls.rewrite(plain));
        byte[] main;
        try (var in = Main.class.getResourceAsStream("Main.class")) {
            main = in.readAllBytes();
        }
        byte[] guarded = ExitCalls.rewrite(main);
        assertNotSame(main, guarded, "Main calls System.exit");
        assertTrue(new String(guarded, java.nio.charset.StandardCharsets.ISO_8859_1).contains(ExitCalls.GUARD));
    }

    private static Evaluator.Completions completeAtEnd(String code) {
        return evaluator.complete(code, code.length());
    }

    @Test void completionSeesVariablesDeclaredAboveInTheSameCell() {
        String code = "String s = \"abc\"; s.subs";
        Evaluator.Completions c = completeAtEnd(code);
        assertEquals(List.of("substring("), c.matches());
        assertEquals(code.indexOf("subs"), c.start());
        assertEquals(code.length(), c.end());
        assertEquals(List.of("add(", "addAll("), completeAtEnd("var names = new java.util.ArrayList<String>();\nint n = 1;\nnames.ad").matches());
    }

    @Test void completionSeesMethodsAndClassesDeclaredAboveInTheSameCell() {
        assertEquals(List.of("square("), completeAtEnd("int square(int x) { return x * x; }\nint n = squ").matches());
        assertEquals(List.of("xCoord"), completeAtEnd("class Point { int xCoord; }\nvar p = new Point();\np.xC").matches());
        String inMethod = "String greeting = \"hi\";\nvoid shout() {\n  System.out.println(greeting.toUpp";
        assertEquals(List.of("toUpperCase("), completeAtEnd(inMethod).matches());
    }

    @Test void completionStillSeesEarlierCellsAndTheJdk() throws Exception {
        evaluator.eval("String fromEarlierCell = \"x\";");
        assertEquals(List.of("isEmpty()"), completeAtEnd("fromEarlierCell.isEm").matches());
        assertEquals(List.of("sqrt("), completeAtEnd("Math.sqr").matches());
        assertEquals(List.of("sqrt("), completeAtEnd("int k = 2;\nMath.sqr").matches());
        Evaluator.Completions middle = evaluator.complete("String t = \"\";\nt.isEm\nint after = 1;", "String t = \"\";\nt.isEm".length());
        assertEquals(List.of("isEmpty()"), middle.matches(), "the cursor inside the cell, not at its end");
    }

    @Test void documentationSeesTheSameCell() {
        String code = "String s = \"abc\";\ns.substring";
        String doc = evaluator.documentation(code, code.length());
        assertTrue(doc.contains("String String.substring(int beginIndex)"), doc);
    }

    @Test void contextClassLoaderIsJShellsLoader() throws Exception {
        Object loader = evaluator.eval("Thread.currentThread().getContextClassLoader()").value();
        assertSame(evaluator.snippetLoader(), loader);
        assertNotSame(ClassLoader.getSystemClassLoader(), loader);
    }

    @Test void interruptStopsBusyLoopAndSleep() throws Exception {
        for (String cell : new String[] {"while (true) { }", "Thread.sleep(60_000);"}) {
            var timer = Executors.newSingleThreadScheduledExecutor();
            timer.schedule(evaluator::interrupt, 500, TimeUnit.MILLISECONDS);
            long t0 = System.nanoTime();
            CellException e = assertThrows(CellException.class, () -> evaluator.eval(cell));
            assertEquals("InterruptedException", e.name(), cell);
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "stopped promptly: " + cell);
            timer.shutdownNow();
            assertEquals(7, evaluator.eval("3 + 4").value(), "next cell runs after " + cell);
        }
    }
}
