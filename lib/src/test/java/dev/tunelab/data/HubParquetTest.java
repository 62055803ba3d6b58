package dev.tunelab.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.tunelab.io.FakeHub;
import dev.tunelab.io.Hub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Hub's two Parquet layouts, through the Hub client and cache, a fake Hub, and a mirror folder. */
class HubParquetTest {

    @TempDir
    Path dir;

    private byte[] parquet(String name, String select) throws Exception {
        Path f = dir.resolve(name);
        Parquet.execute("COPY (" + select + ") TO " + Parquet.literal(f) + " (FORMAT parquet)");
        return Files.readAllBytes(f);
    }

    @Test
    void layoutsMapSplitsAndConfigs() {
        List<String> files = List.of(".gitattributes", "README.md",
                "data/train_sft-00000-of-00003-a1b2c3d4.parquet", "data/train_sft-00002-of-00003-ffff0000.parquet",
                "data/train_sft-00001-of-00003-0a0b0c0d.parquet", "data/test_sft-00000-of-00001.parquet", "data/train.parquet",
                "default/train/0000.parquet", "default/partial-validation/0000.parquet", "plain_text/imdb-test-00000-of-00001.parquet");
        assertEquals(List.of("data/train_sft-00000-of-00003-a1b2c3d4.parquet", "data/train_sft-00001-of-00003-0a0b0c0d.parquet",
                "data/train_sft-00002-of-00003-ffff0000.parquet"), HubLayout.splitFiles(files, "default", "train_sft"));
        assertEquals(List.of("data/train.parquet", "default/train/0000.parquet"), HubLayout.splitFiles(files, "default", "train"));
        assertEquals(List.of("default/partial-validation/0000.parquet"), HubLayout.splitFiles(files, "default", "validation"));
        assertEquals(List.of("plain_text/imdb-test-00000-of-00001.parquet"), HubLayout.splitFiles(files, "plain_text", "test"));
        assertEquals(Set.of("test_sft", "train", "train_sft", "validation"), HubLayout.splits(files, "default"));
    }

    @Test
    void readsMainDataFilesThenTheConvertedBranch() throws Exception {
        byte[] s0 = parquet("a.parquet", "SELECT 'p' || range AS prompt, "
                + "[{'role': 'user', 'content': 'p' || range}, {'role': 'assistant', 'content': 'good'}] AS chosen, "
                + "[{'role': 'user', 'content': 'p' || range}, {'role': 'assistant', 'content': 'bad'}] AS rejected FROM range(3)");
        byte[] s1 = parquet("b.parquet", "SELECT 'q' AS prompt, [{'role': 'assistant', 'content': 'yes'}] AS chosen, "
                + "[{'role': 'assistant', 'content': 'no'}] AS rejected");
        byte[] conv = parquet("c.parquet", "SELECT 'Tell me' AS instruction, '' AS input, 'Told.' AS output");
        try (FakeHub server = new FakeHub()) {
            server.treePageSize(2) // the listing spans pages
                    .file("datasets/HuggingFaceH4/ultrafeedback_binarized/resolve/main/README.md", "card")
                    .file("datasets/HuggingFaceH4/ultrafeedback_binarized/resolve/main/data/train_prefs-00001-of-00002-bbbb.parquet", s1, true)
                    .file("datasets/HuggingFaceH4/ultrafeedback_binarized/resolve/main/data/train_prefs-00000-of-00002-aaaa.parquet", s0, true)
                    .file("datasets/HuggingFaceH4/ultrafeedback_binarized/resolve/main/data/test_prefs-00000-of-00001.parquet", s1, true)
                    .file("datasets/tatsu-lab/alpaca/resolve/main/alpaca.json", "[]")
                    .file("datasets/tatsu-lab/alpaca/resolve/refs%2Fconvert%2Fparquet/default/train/0000.parquet", conv, true);
            Path cache = dir.resolve("cache");
            Catalog c = Catalog.hub(Hub.builder().endpoint(server.endpoint()).cacheDir(cache).build());

            Dataset<PreferenceExample> uf = c.ultraFeedback("train_prefs", LoadOptions.strict());
            assertEquals(4, uf.size());
            assertEquals(new PreferenceExample("p0", "good", "bad"), uf.get(0));
            assertEquals(new PreferenceExample("q", "yes", "no"), uf.get(3)); // shard 00001 after 00000
            assertTrue(Files.isRegularFile(cache.resolve("datasets--HuggingFaceH4--ultrafeedback_binarized/snapshots/"
                    + FakeHub.COMMIT + "/data/train_prefs-00000-of-00002-aaaa.parquet")));

            // no Parquet on main: the Hub's conversion branch
            Dataset<AlpacaExample> alpaca = c.parquet("tatsu-lab/alpaca", "train", Format.ALPACA, LoadOptions.strict());
            assertEquals(List.of(new AlpacaExample("Tell me", "", "Told.")), alpaca.rows());
            assertTrue(Files.isRegularFile(cache.resolve("datasets--tatsu-lab--alpaca/snapshots/" + FakeHub.COMMIT
                    + "/default/train/0000.parquet")));

            var e = assertThrows(IllegalArgumentException.class, () -> c.parquetFiles("HuggingFaceH4/ultrafeedback_binarized", "default", "train"));
            assertTrue(e.getMessage().contains("Parquet splits there: [test_prefs, train_prefs]"), e.getMessage());

            // offline, the cached snapshot is listed instead
            Catalog off = Catalog.hub(Hub.builder().endpoint(server.endpoint()).cacheDir(cache).offline(true).build());
            assertEquals(4, off.ultraFeedback("train_prefs", LoadOptions.strict()).size());
        }
    }

    @Test
    void mirrorHoldsTheRepositoryLayout() throws Exception {
        Path mirror = dir.resolve("mirror");
        Path shard = mirror.resolve("hub/trl-lib/tldr/data/validation-00000-of-00001.parquet");
        Files.createDirectories(shard.getParent());
        Files.write(shard, parquet("t.parquet", "SELECT 'Post: ...' AS prompt, ' A summary.' AS completion"));
        Catalog c = Catalog.mirror(mirror);
        assertEquals(new AlpacaExample("Post: ...", "", " A summary."),
                c.parquet("trl-lib/tldr", "validation", Format.PROMPT_COMPLETION, LoadOptions.strict()).get(0));
        var e = assertThrows(IllegalStateException.class, () -> c.parquet("trl-lib/other", "train", Format.ALPACA, LoadOptions.strict()));
        assertTrue(e.getMessage().contains("has no folder hub/trl-lib/other"), e.getMessage());
    }
}
