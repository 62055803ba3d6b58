package dev.tunelab.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.io.FakeHub;
import dev.tunelab.io.Hub;
import dev.tunelab.io.HubException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog's download path end to end: mirror files served by a fake Hub, as the Hub names them. */
class CatalogHubTest {

    @TempDir
    Path cache;

    static byte[] gzip(byte[] data) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    @Test
    void downloadsAndReadsTheHubFiles() throws IOException {
        Path mirror = MirrorData.dir();
        try (FakeHub server = new FakeHub()) {
            server.file("datasets/Anthropic/hh-rlhf/resolve/main/helpful-base/test.jsonl.gz",
                            gzip(Files.readAllBytes(mirror.resolve("preference/hh-rlhf_helpful-base_test.jsonl"))), true)
                    .file("datasets/yahma/alpaca-cleaned/resolve/main/alpaca_data_cleaned.json",
                            Files.readAllBytes(mirror.resolve("instruct/alpaca_gpt4_en_sample.json")), true)
                    .file("datasets/roneneldan/TinyStories/resolve/main/TinyStories-valid.txt",
                            "Once there was a cat.\n<|endoftext|>\nThe end of a story.\n<|endoftext|>\nA last one.\n");
            Catalog c = Catalog.hub(Hub.builder().endpoint(server.endpoint()).cacheDir(cache).build());

            Dataset<PreferenceExample> hh = c.hhRlhf("helpful-base", "test", LoadOptions.skipBadRows());
            assertEquals(2_345, hh.size());
            assertEquals(9, hh.report().skipped());
            assertTrue(Files.isRegularFile(cache.resolve("datasets--Anthropic--hh-rlhf/snapshots/" + FakeHub.COMMIT
                    + "/helpful-base/test.jsonl.gz")));

            assertEquals(999, c.alpaca(LoadOptions.strict()).size());
            assertEquals(3, c.tinyStories("validation").size()); // a complete Hub file keeps its last story

            var e = assertThrows(HubException.class, () -> c.dolly(LoadOptions.strict()));
            assertTrue(e.getMessage().contains("file 'databricks-dolly-15k.jsonl' of dataset repo 'databricks/databricks-dolly-15k'"),
                    e.getMessage());
            var u = assertThrows(IllegalArgumentException.class, () -> c.ultraFeedback("train_prefs", LoadOptions.strict()));
            assertTrue(u.getMessage().startsWith("HuggingFaceH4/ultrafeedback_binarized has no Parquet files of config 'default' "
                    + "split 'train_prefs'"), u.getMessage());
        }
    }

    @Test
    void theCatalogListsItsEntries() {
        var t = Catalog.table();
        assertEquals(Catalog.ENTRIES.size(), t.rowCount());
        assertEquals("roneneldan/TinyStories", t.stringColumn("hub repo").get(0));
        assertTrue(Catalog.mirror(MirrorData.dir()).mimeBundle().get(MimeBundles.HTML).contains("HuggingFaceH4/ultrafeedback_binarized"));
    }
}
