package dev.tunelab.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class NativeHeapTest {
    @Test
    void smallModelsLeaveTheAllocatorAloneAndTheFirstLargeOneFixesTheThreshold() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux") && System.getenv("MALLOC_MMAP_THRESHOLD_") == null
                && System.getProperty("tunelab.mmapThreshold") == null, "Linux with glibc's default allocator settings");
        assumeTrue(NativeHeap.state().startsWith("glibc default"), "no large model made earlier in this JVM");
        assertTrue(NativeHeap.forModel(2_800_000).startsWith("glibc default (dynamic)"));
        assertTrue(NativeHeap.forModel(NativeHeap.LARGE_MODEL_PARAMETERS - 1).startsWith("glibc default (dynamic)"));
        // mallopt answered 1 (accepted) through JNA; later models, small or large, change nothing
        assertEquals("mmap threshold 1048576 bytes", NativeHeap.forModel(1_235_814_400L));
        assertEquals("mmap threshold 1048576 bytes", NativeHeap.forModel(2_800_000));
        assertEquals("mmap threshold 1048576 bytes", NativeHeap.state());
    }
}
