package dev.tunelab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TorchReferenceTest {
    // The shape of bench/torch_llama_step.py's last line, with a warning printed before it.
    private static final String OUTPUT = "some warning\n{\"torch_version\": \"1.13.0a0\", \"threads\": 2, "
            + "\"blas_libraries\": [\"/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3\", "
            + "\"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so\"], \"parameters\": 2755008, "
            + "\"first_loss\": 7.67, \"last_loss\": 7.5, \"measured_steps\": 8, \"seconds\": 16.0, "
            + "\"tokens_per_second\": 2048.0}\n";

    @Test
    void parsesTheLastLine() {
        TorchReference r = TorchReference.parse(OUTPUT, "script");
        assertEquals("1.13.0a0", r.torchVersion());
        assertEquals(2, r.threads());
        assertEquals(2_755_008, r.parameters());
        assertEquals(8, r.measuredSteps());
        assertEquals(2048.0, r.tokensPerSecond());
        assertEquals("OpenBLAS (libopenblasp-r0.3.21.so)", r.blasSummary());
    }

    @Test
    void referenceBlasIsShownByPath() {
        TorchReference r = new TorchReference("1.13", 2, List.of("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3"), 1,
                0, 0, 1, 1, 1);
        assertEquals("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", r.blasSummary());
    }

    @Test
    void missingFieldIsNamed() {
        var e = assertThrows(IllegalStateException.class,
                () -> TorchReference.parse("{\"torch_version\": \"1.13\", \"blas_libraries\": []}", "script.py"));
        assertTrue(e.getMessage().contains("script.py") && e.getMessage().contains("'threads'"), e.getMessage());
    }

    @Test
    void nonJsonOutputIsQuoted() {
        var e = assertThrows(IllegalStateException.class, () -> TorchReference.parse("Traceback ...\nboom", "s.py"));
        assertTrue(e.getMessage().contains("'boom'"), e.getMessage());
    }
}
