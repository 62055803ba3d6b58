package dev.tunelab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Drives the real kernel over ZMQ with jupyter_client: the conformance suite
 * (src/test/python/test_conformance.py) and the kernel's own behaviour tests
 * (test_kernel.py: interrupts, OOM, errors, display updates, rendering, magics) and stream
 * output under load (test_output.py: a 100,000-line flood, the per-cell limit, back-pressure).
 */
class KernelProtocolTest {
    private static void runPython(String module) throws Exception {
        Jupyter.requireJupyter();
        var env = new HashMap<>(Jupyter.kernelEnv());
        env.put("TUNELAB_JAVA_OPTS", "-Xmx256m"); // a bounded heap makes the OOM test quick
        var outcome = Jupyter.run(List.of(Jupyter.python(), "-m", "unittest", "-v", module),
                Jupyter.MODULE.resolve("src/test/python"), env, 600);
        System.out.println(outcome.output());
        assertEquals(0, outcome.exit(), module + " failed:\n" + outcome.output());
    }

    @Test void conformanceSuite() throws Exception {
        runPython("test_conformance");
    }

    @Test void kernelBehaviour() throws Exception {
        runPython("test_kernel");
    }

    @Test void outputUnderLoad() throws Exception {
        runPython("test_output");
    }
}
