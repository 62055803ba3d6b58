package dev.tunelab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessMemoryTest {
    @Test
    void readsVmRssInKibibytes() {
        List<String> status = List.of("Name:\tjava", "VmPeak:\t 9000000 kB", "VmHWM:\t  700000 kB",
                "VmRSS:\t  654321 kB", "RssAnon:\t  600000 kB");
        assertEquals(654_321L * 1024, ProcessMemory.vmRssBytes(status, "status"));
    }

    @Test
    void malformedLineIsNamedWithItsNumber() {
        var e = assertThrows(IllegalStateException.class,
                () -> ProcessMemory.vmRssBytes(List.of("Name:\tjava", "VmRSS:\t 12 MB"), "/proc/1/status"));
        assertTrue(e.getMessage().contains("/proc/1/status line 2"), e.getMessage());
        assertTrue(e.getMessage().contains("kB"), e.getMessage());
    }

    @Test
    void missingLineIsReported() {
        var e = assertThrows(IllegalStateException.class,
                () -> ProcessMemory.vmRssBytes(List.of("Name:\tjava"), "status"));
        assertTrue(e.getMessage().contains("no VmRSS"), e.getMessage());
    }

    @Test
    void touchingNativeMemoryRaisesTheReading() {
        long before = ProcessMemory.residentBytes();
        ByteBuffer buffer = ByteBuffer.allocateDirect(64 << 20);
        for (int i = 0; i < buffer.capacity(); i += 4096) {
            buffer.put(i, (byte) 1); // resident only once each page is touched
        }
        long after = ProcessMemory.residentBytes();
        assertTrue(after - before > 48L << 20, "RSS grew by " + (after - before) + " bytes for 64 MiB touched");
        assertEquals(1, buffer.get(0));
    }
}
