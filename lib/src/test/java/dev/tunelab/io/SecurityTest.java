package dev.tunelab.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.Models;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pickled checkpoints are never read, repository file names cannot write outside the cache, and
 * the Hub token shows in no error, whatever fails.
 */
class SecurityTest {
    static final String TOKEN = "hf_SecretTokenThatMustNotLeak0123";

    @TempDir Path cache;
    FakeHub server;

    @BeforeEach
    void start() throws IOException {
        server = new FakeHub();
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    Hub hub() {
        return Hub.builder().endpoint(server.endpoint()).cacheDir(cache).progressThreshold(Long.MAX_VALUE).token(TOKEN).build();
    }

    /** The message, toString and stack trace of an exception and all its causes. */
    static String everything(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    @Test
    void pickleCheckpointsAreRefusedWithAnExplanation(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"vocab_size\": 32, \"hidden_size\": 16,"
                + " \"intermediate_size\": 32, \"num_hidden_layers\": 1, \"num_attention_heads\": 2}");
        // A pickle whose unpickling would run os.system: it must never be opened as a pickle.
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 0x04, 'c', 'o', 's', '\n', 's', 'y', 's'});
        var e = assertThrows(UncheckedIOException.class, () -> Models.load(dir));
        String m = e.getCause().getMessage();
        assertTrue(m.contains("pytorch_model.bin"), m);
        assertTrue(m.contains("tunelab requires safetensors and never unpickles"), m);
        assertTrue(m.contains("safe_serialization=True"), m);
    }

    @Test
    void aHubModelWithPickleShardsIsRefused() {
        // (a repo with only pytorch_model.bin: HubTest.downloadModelFetchesConfigTokenizerAndEveryShard)
        String at = "org/shards/resolve/" + FakeHub.COMMIT + "/";
        server.file("org/shards/resolve/main/config.json", "{}").file(at + "config.json", "{}").file(at + "tokenizer.json", "{}")
                .file(at + "model.safetensors.index.json", "{\"weight_map\": {\"a\": \"pytorch_model-00001-of-00001.bin\"}}")
                .file(at + "pytorch_model-00001-of-00001.bin", "pickle");
        var e = assertThrows(HubException.class, () -> hub().downloadModel("org/shards"));
        assertTrue(e.getMessage().contains("shard 'pytorch_model-00001-of-00001.bin' is not a .safetensors file"), e.getMessage());
        assertTrue(server.cdnRequests.stream().noneMatch(r -> r.getPath().endsWith(".bin")));
        assertTrue(server.hubRequests.stream().noneMatch(r -> r.getPath().endsWith("-00001-of-00001.bin")), "the .bin shard was not fetched");
    }

    @Test
    void repositoryFileNamesCannotLeaveTheCache() throws IOException {
        Hub hub = hub();
        List<String> hostile = List.of("../../outside.txt", "a/../../outside.txt", "/etc/passwd", "a\\..\\..\\outside.txt",
                "./config.json", "a//b", "", "..");
        for (String name : hostile) {
            assertThrows(IllegalArgumentException.class, () -> hub.download("org/m", name), name);
        }
        // A shard index naming a path outside the snapshot is refused before anything is fetched.
        String at = "org/idx/resolve/" + FakeHub.COMMIT + "/";
        server.file("org/idx/resolve/main/config.json", "{}").file(at + "config.json", "{}").file(at + "tokenizer.json", "{}")
                .file(at + "model.safetensors.index.json", "{\"weight_map\": {\"a\": \"../../../x.safetensors\"}}");
        var e = assertThrows(IllegalArgumentException.class, () -> hub.downloadModel("org/idx"));
        assertTrue(e.getMessage().contains("../../../x.safetensors"), e.getMessage());
        try (Stream<Path> s = Files.walk(cache.getParent())) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("outside") || p.getFileName().toString().equals("x.safetensors")));
        }
    }

    @Test
    void theTokenShowsInNoErrorWhateverFails() throws IOException {
        String path = "org/m/resolve/main/f.txt";
        for (int status : new int[] {400, 401, 403, 404, 429, 500, 502, 503}) {
            server.status(path, status, status == 404 ? "EntryNotFound" : null);
            var e = assertThrows(HubException.class, () -> hub().download("org/m", "f.txt"), "HTTP " + status);
            assertFalse(everything(e).contains(TOKEN), "HTTP " + status + " leaked the token: " + everything(e));
            assertFalse(everything(e).contains(TOKEN.substring(3, 12)), "HTTP " + status + " leaked part of the token");
        }
        // Nothing listening: the connection error must not carry the token either.
        Hub unreachable = Hub.builder().endpoint("http://127.0.0.1:9").cacheDir(cache).token(TOKEN).build();
        var e = assertThrows(RuntimeException.class, () -> unreachable.download("org/m", "f.txt"));
        assertFalse(everything(e).contains(TOKEN), everything(e));
        assertFalse(unreachable.toString().contains(TOKEN));
        // And the token went to the Hub host only.
        assertTrue(server.cdnRequests.stream().allMatch(r -> r.getHeader("Authorization") == null));
    }
}
