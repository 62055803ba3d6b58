package dev.tunelab.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code _tunelab} block: real versions or nothing, and the thread count libtorch uses. */
class VersionsTest {
    private static final String VERSION = "\\d+\\.\\d+(\\.\\d+)?([-.][A-Za-z0-9.]+)?";

    @Test
    void versionsAreRealVersionsNeverTheStringNull() {
        Map<String, String> v = Versions.all();
        v.forEach((k, value) -> {
            assertFalse(value == null || value.isBlank() || value.contains("null") || value.contains("${"), k + "=" + value);
        });
        // tunelab's comes from the Maven-filtered version.properties: the project version, e.g. 0.1.0-SNAPSHOT
        assertTrue(v.getOrDefault("tunelab", "").matches(VERSION), v.toString());
        assertEquals(Engine.getDjlVersion(), v.get("djl"));
        assertTrue(v.get("djl").matches(VERSION), v.toString());
        assertEquals("PyTorch", v.get("engine"));
        assertEquals(Engine.getInstance().getVersion(), v.get("pytorch"));
        assertTrue(v.get("pytorch").matches(VERSION), v.toString());
        assertTrue(Integer.parseInt(v.get("cpu_cores")) >= 1);
    }

    @Test
    void theIntraOpThreadCountIsTheOneLibtorchUsesNow() {
        Engine.getInstance(); // loads libtorch
        int before = JniUtils.getNumThreads();
        try {
            JniUtils.setNumThreads(1);
            assertEquals("1", Versions.all().get("intra_op_threads"));
            JniUtils.setNumThreads(2);
            assertEquals("2", Versions.all().get("intra_op_threads"));
        } finally {
            JniUtils.setNumThreads(before);
        }
        assertEquals(Integer.toString(JniUtils.getNumInteropThreads()), Versions.all().get("inter_op_threads"));
    }

    @Test
    void aRunsConfigCarriesTheBlockAndReadingItBackLeavesItOut(@TempDir Path tmp) throws Exception {
        Run run = Run.builder("v").runsDir(tmp).config(Map.of("lr", 0.01)).wandb(WandbSettings.disabled()).start();
        run.close();
        JsonNode block = new ObjectMapper().readTree(run.dir().resolve("config.json").toFile()).path("_tunelab");
        assertEquals(Versions.tunelab(), block.path("tunelab").asText());
        assertEquals(Integer.toString(JniUtils.getNumThreads()), block.path("intra_op_threads").asText());
        block.fields().forEachRemaining(f -> assertFalse(f.getValue().asText().equals("null"), f.getKey()));
        assertEquals(Map.of("lr", 0.01), RunRecord.read(run.dir()).config());
    }
}
