package dev.tunelab.kernel;

import static org.junit.jupiter.api.Assertions.*;

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
        assertTrue(e.traceback().get(1).startsWith("\tat boom (#"), e.traceback().toString());
        assertFalse(e.traceback().toString().contains("ResultSlot"), e.traceback().toString());
        assertEquals(5, evaluator.eval("2 + 3").value(), "usable after an exception");
    }

    @Test void compileErrorNamesTheProblem() {
        CellException e = assertThrows(CellException.class, () -> evaluator.eval("int z = \"text\";"));
        assertEquals("CompilationException", e.name());
        assertTrue(e.getMessage().contains("incompatible types"), e.getMessage());
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
