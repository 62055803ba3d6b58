package dev.tunelab.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class NativeHeapTest {
    @Test
    void glibcAcceptsTheFixedThresholdOnceAndTheRunRecordsIt() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux") && System.getenv("MALLOC_MMAP_THRESHOLD_") == null
                && System.getProperty("tunelab.mmapThreshold") == null, "Linux with glibc's default allocator settings");
        // mallopt answered 1 (accepted) through JNA; a second call changes nothing and says the same
        assertEquals("mmap threshold 1048576 bytes", NativeHeap.fixMmapThreshold());
        assertEquals("mmap threshold 1048576 bytes", NativeHeap.fixMmapThreshold());
    }
}
