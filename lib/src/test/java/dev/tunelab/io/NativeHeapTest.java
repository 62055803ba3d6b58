package dev.tunelab.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class NativeHeapTest {
    @Test
    void smallModelsLeaveGlibcAloneMidSizedOnesKeepFreedMemoryAndTheFirstLargeOneReturnsIt() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux") && System.getenv("MALLOC_MMAP_THRESHOLD_") == null
                && System.getProperty("tunelab.mmapThreshold") == null, "Linux with glibc's default allocator settings");
        assumeTrue(NativeHeap.state().startsWith("glibc default"), "no model of 100M+ parameters made earlier in this JVM");
        assertEquals(NativeHeap.state(), NativeHeap.forModel(2_800_000), "small models leave glibc's defaults");
        String keep = NativeHeap.forModel(134_515_008L);
        // mallopt answered 1 (accepted) through JNA for both thresholds (glibc 2.35+ takes 1 GiB)
        assertEquals("keeps freed memory: mmap and trim thresholds 1073741824 / 1073741824 bytes", keep);
        assertEquals(keep, NativeHeap.forModel(NativeHeap.LARGE_MODEL_PARAMETERS - 1));
        assertEquals("returns freed memory: mmap threshold 1048576 bytes", NativeHeap.forModel(1_235_814_400L));
        // later models, small or large, change nothing
        assertEquals("returns freed memory: mmap threshold 1048576 bytes", NativeHeap.forModel(2_800_000));
        assertEquals("returns freed memory: mmap threshold 1048576 bytes", NativeHeap.state());
    }
}
