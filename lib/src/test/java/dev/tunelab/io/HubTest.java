package dev.tunelab.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubTest {
    static final String DATA = "datasets/org/data/resolve/main/sub/data.jsonl";
    static final String TOKEN = "hf_secret_token_123";

    @TempDir
    Path cache;

    FakeHub server;
    byte[] big;

    @BeforeEach
    void start() throws IOException {
        server = new FakeHub();
        big = new byte[300_000];
        new Random(1).nextBytes(big);
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    Hub.Builder hub() {
        return Hub.builder().endpoint(server.endpoint()).cacheDir(cache).progressThreshold(Long.MAX_VALUE);
    }

    Path repo() {
        return cache.resolve("datasets--org--data");
    }

    List<String> cacheFiles() throws IOException {
        try (Stream<Path> s = Files.walk(cache)) {
            return s.filter(p -> !Files.isDirectory(p)).map(p -> cache.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void coldDownloadLaysOutTheCacheLikeHuggingfaceHub() throws Exception {
        server.file(DATA, big, true);
        Hub hub = hub().token(TOKEN).build();
        Path p = hub.downloadDataset("org/data", "sub/data.jsonl");

        String sha = FakeHub.sha256(big);
        assertEquals(repo().resolve("snapshots/" + FakeHub.COMMIT + "/sub/data.jsonl"), p);
        assertTrue(Files.isSymbolicLink(p));
        assertEquals(Path.of("../../../blobs/" + sha), Files.readSymbolicLink(p));
        assertArrayEquals(big, Files.readAllBytes(p));
        assertEquals(FakeHub.COMMIT, Files.readString(repo().resolve("refs/main")));
        assertEquals(List.of(".locks/datasets--org--data/" + sha + ".lock", "datasets--org--data/blobs/" + sha, "datasets--org--data/refs/main",
                "datasets--org--data/snapshots/" + FakeHub.COMMIT + "/sub/data.jsonl"), cacheFiles());

        // the token goes to the Hub, never to the CDN the LFS file redirects to
        assertEquals(List.of("HEAD", "GET"), server.hubRequests.stream().map(RecordedRequest::getMethod).toList());
        assertTrue(server.hubRequests.stream().allMatch(r -> ("Bearer " + TOKEN).equals(r.getHeader("Authorization"))));
        assertEquals(1, server.cdnRequests.size());
        assertNull(server.cdnRequests.get(0).getHeader("Authorization"));
        assertNull(server.cdnRequests.get(0).getHeader("Range"));

        // a second call only asks for the metadata
        assertEquals(p, hub.downloadDataset("org/data", "sub/data.jsonl"));
        assertEquals(3, server.hubRequests.size());
        assertEquals(1, server.cdnRequests.size());
    }

    @Test
    void smallFilesAreCheckedAgainstTheirGitBlobSha1() throws Exception {
        // known value: `printf 'hello\n' | git hash-object --stdin`
        assertEquals("ce013625030ba8dba906f756967f9e9ca394464a", FakeHub.gitSha1("hello\n".getBytes(StandardCharsets.UTF_8)));
        server.file("org/model/resolve/main/config.json", "{\"hidden_size\": 8}");
        Path p = hub().build().download("org/model", "config.json");
        assertEquals("{\"hidden_size\": 8}", Files.readString(p));
        assertTrue(p.startsWith(cache.resolve("models--org--model/snapshots/" + FakeHub.COMMIT)));
        assertTrue(Files.exists(cache.resolve("models--org--model/blobs/" + FakeHub.gitSha1(Files.readAllBytes(p)))));
        assertEquals("/org/model/resolve/main/config.json", server.hubRequests.get(0).getPath()); // models have no prefix
    }

    @Test
    void resumesAPartialDownloadWithARangeRequest() throws Exception {
        server.file(DATA, big, true);
        String sha = FakeHub.sha256(big);
        Path part = repo().resolve("blobs/" + sha + ".incomplete");
        Files.createDirectories(part.getParent());
        Files.write(part, Arrays.copyOf(big, 100_000));

        Path p = hub().progressThreshold(1).build().downloadDataset("org/data", "sub/data.jsonl");
        assertArrayEquals(big, Files.readAllBytes(p));
        assertEquals(1, server.cdnRequests.size());
        assertEquals("bytes=100000-", server.cdnRequests.get(0).getHeader("Range"));
        assertFalse(Files.exists(part));
    }

    @Test
    void resumesWhenTheConnectionDropsHalfway() throws Exception {
        server.file(DATA, big, true).dropNextBodyAt(120_000);
        Path p = hub().build().downloadDataset("org/data", "sub/data.jsonl");
        assertArrayEquals(big, Files.readAllBytes(p));
        assertEquals(2, server.cdnRequests.size());
        assertNull(server.cdnRequests.get(0).getHeader("Range"));
        String range = server.cdnRequests.get(1).getHeader("Range");
        assertNotNull(range);
        long from = Long.parseLong(range.substring(6, range.length() - 1));
        assertTrue(from > 0 && from <= 120_000, range);
    }

    @Test
    void aChecksumMismatchLeavesNothingInTheCache() throws Exception {
        String claimed = FakeHub.sha256("something else".getBytes(StandardCharsets.UTF_8));
        server.lfsFileWithWrongHash(DATA, big, claimed);
        var e = assertThrows(HubException.class, () -> hub().build().downloadDataset("org/data", "sub/data.jsonl"));
        assertTrue(e.getMessage().contains("checksum failed for file 'sub/data.jsonl' of dataset repo 'org/data'"), e.getMessage());
        assertTrue(e.getMessage().contains("sha256 mismatch: expected " + claimed + ", got " + FakeHub.sha256(big)), e.getMessage());
        assertEquals(List.of(".locks/datasets--org--data/" + claimed + ".lock", "datasets--org--data/refs/main"), cacheFiles()); // no blob, no .incomplete, no snapshot

        // the caller's own expected hash is checked too
        server.file(DATA, big, true);
        var wrong = FakeHub.sha256(new byte[1]);
        e = assertThrows(HubException.class, () -> hub().build()
                .download(Hub.RepoType.DATASET, "org/data", "main", "sub/data.jsonl", wrong));
        assertTrue(e.getMessage().contains("expected " + wrong), e.getMessage());
        assertFalse(cacheFiles().stream().anyMatch(f -> f.contains("blobs") || f.contains("snapshots")), cacheFiles().toString());
        Path ok = hub().build().download(Hub.RepoType.DATASET, "org/data", "main", "sub/data.jsonl", FakeHub.sha256(big).toUpperCase());
        assertArrayEquals(big, Files.readAllBytes(ok));
    }

    @Test
    void concurrentDownloadsOfOneFileFetchItOnce() throws Exception {
        server.file(DATA, big, true);
        Hub hub = hub().build();
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<Path>>();
            for (int i = 0; i < 4; i++) futures.add(pool.submit(() -> hub.downloadDataset("org/data", "sub/data.jsonl")));
            for (var f : futures) assertArrayEquals(big, Files.readAllBytes(f.get()));
        } finally {
            pool.shutdown();
        }
        assertEquals(1, server.cdnRequests.size());
    }

    @Test
    void notFoundNamesTheRepoAndFile() {
        Hub hub = hub().build();
        var e = assertThrows(HubException.class, () -> hub.downloadDataset("org/data", "nope.jsonl"));
        assertEquals(404, e.status());
        assertTrue(e.getMessage().contains("file 'nope.jsonl' of dataset repo 'org/data': not found (HTTP 404)"), e.getMessage());
        assertTrue(hub.tryDownload(Hub.RepoType.DATASET, "org/data", "main", "nope.jsonl").isEmpty());

        server.status("datasets/org/gone/resolve/main/a.txt", 404, "RepoNotFound");
        e = assertThrows(HubException.class, () -> hub.tryDownload(Hub.RepoType.DATASET, "org/gone", "main", "a.txt"));
        assertTrue(e.getMessage().contains("dataset repo 'org/gone': no such repository"), e.getMessage());
        server.status("datasets/org/data/resolve/main/x.txt", 500, null);
        e = assertThrows(HubException.class, () -> hub.downloadDataset("org/data", "x.txt"));
        assertEquals(500, e.status());
    }

    @Test
    void unauthorizedExplainsGatedReposAndNeverShowsTheToken() throws Exception {
        server.file(DATA, big, true).requireToken(TOKEN);
        var e = assertThrows(HubException.class, () -> hub().build().downloadDataset("org/data", "sub/data.jsonl"));
        assertEquals(401, e.status());
        assertTrue(e.getMessage().contains("gated or private"), e.getMessage());
        assertTrue(e.getMessage().contains("set HF_TOKEN"), e.getMessage());

        Hub wrong = hub().token("hf_wrong_token_456").build();
        e = assertThrows(HubException.class, () -> wrong.downloadDataset("org/data", "sub/data.jsonl"));
        assertFalse(e.getMessage().contains("hf_wrong_token_456"), e.getMessage());
        assertTrue(e.getMessage().contains("with the token from HF_TOKEN"), e.getMessage());
        assertFalse(wrong.toString().contains("hf_wrong"));

        assertArrayEquals(big, Files.readAllBytes(hub().token(TOKEN).build().downloadDataset("org/data", "sub/data.jsonl")));
    }

    @Test
    void offlineModeUsesOnlyTheCache() throws Exception {
        server.file(DATA, big, true);
        Path online = hub().build().downloadDataset("org/data", "sub/data.jsonl");
        int requests = server.hubRequests.size();

        Hub offline = hub().offline(true).build();
        assertEquals(online, offline.downloadDataset("org/data", "sub/data.jsonl"));
        var e = assertThrows(HubException.class, () -> offline.downloadDataset("org/data", "other.jsonl"));
        assertTrue(e.getMessage().contains("offline (HF_HUB_OFFLINE is set) and file 'other.jsonl' of dataset repo 'org/data' "
                + "is not in the cache"), e.getMessage());
        assertEquals(requests, server.hubRequests.size()); // no network at all

        // a pinned commit that is cached needs no network either, online
        Path pinned = hub().build().download(Hub.RepoType.DATASET, "org/data", FakeHub.COMMIT, "sub/data.jsonl", null);
        assertEquals(online, pinned);
        assertEquals(requests, server.hubRequests.size());

        // and when the Hub cannot be reached, a cached file is still found
        server.close();
        assertEquals(online, hub().build().downloadDataset("org/data", "sub/data.jsonl"));
        e = assertThrows(HubException.class, () -> hub().build().downloadDataset("org/data", "other.jsonl"));
        assertTrue(e.getMessage().contains("cannot reach"), e.getMessage());
    }

    @Test
    void environmentVariables() throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("HF_HOME", cache.resolve("hf").toString());
        env.put("HF_ENDPOINT", server.endpoint());
        Hub hub = Hub.builder().environment(env::get).build();
        assertEquals(cache.resolve("hf/hub"), hub.cacheDir());
        assertFalse(hub.offline());
        assertFalse(hub.hasToken());

        Files.createDirectories(cache.resolve("hf"));
        Files.writeString(cache.resolve("hf/token"), "hf_from_login_file\n"); // what `huggingface-cli login` writes
        hub = Hub.builder().environment(env::get).build();
        assertTrue(hub.hasToken());
        assertFalse(hub.toString().contains("hf_from_login_file"));

        env.put("HF_HUB_CACHE", cache.resolve("elsewhere").toString());
        env.put("HF_HUB_OFFLINE", "1");
        env.put("HF_TOKEN", TOKEN);
        hub = Hub.builder().environment(env::get).build();
        assertEquals(cache.resolve("elsewhere"), hub.cacheDir());
        assertTrue(hub.offline());

        server.file("org/m/resolve/main/config.json", "{}");
        env.remove("HF_HUB_OFFLINE");
        Hub.builder().environment(env::get).build().download("org/m", "config.json");
        assertEquals("Bearer " + TOKEN, server.hubRequests.get(0).getHeader("Authorization"));
        assertTrue(Files.exists(cache.resolve("elsewhere/models--org--m/refs/main")));
    }

    @Test
    void rejectsPathsThatWouldLeaveTheCache() {
        Hub hub = hub().build();
        assertThrows(IllegalArgumentException.class, () -> hub.download("org/m", "../../etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> hub.download("../m", "config.json"));
        assertThrows(IllegalArgumentException.class, () -> hub.download("org/m", "/abs"));
        assertTrue(Hub.isRepoId("HuggingFaceTB/SmolLM2-135M"));
        assertFalse(Hub.isRepoId("models"));
        assertFalse(Hub.isRepoId("../m"));
        assertFalse(Hub.isRepoId("a/b/c"));
    }

    @Test
    void downloadModelFetchesConfigTokenizerAndEveryShard() throws Exception {
        byte[] s1 = Arrays.copyOf(big, 1000);
        byte[] s2 = Arrays.copyOfRange(big, 1000, 3000);
        server.file("org/llm/resolve/main/config.json", "{\"model_type\": \"llama\"}")
                .file("org/llm/resolve/main/tokenizer.json", "{}")
                .file("org/llm/resolve/main/model.safetensors.index.json",
                        "{\"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\", \"b\": \"model-00002-of-00002.safetensors\","
                                + " \"c\": \"model-00001-of-00002.safetensors\"}}")
                .file("org/llm/resolve/" + FakeHub.COMMIT + "/config.json", "{\"model_type\": \"llama\"}")
                .file("org/llm/resolve/" + FakeHub.COMMIT + "/tokenizer.json", "{}")
                .file("org/llm/resolve/" + FakeHub.COMMIT + "/model.safetensors.index.json",
                        "{\"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\", \"b\": \"model-00002-of-00002.safetensors\"}}")
                .file("org/llm/resolve/" + FakeHub.COMMIT + "/model-00001-of-00002.safetensors", s1, true)
                .file("org/llm/resolve/" + FakeHub.COMMIT + "/model-00002-of-00002.safetensors", s2, true);
        Path dir = hub().build().downloadModel("org/llm");
        assertEquals(cache.resolve("models--org--llm/snapshots/" + FakeHub.COMMIT), dir);
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                    "model.safetensors.index.json", "tokenizer.json"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertArrayEquals(s2, Files.readAllBytes(dir.resolve("model-00002-of-00002.safetensors")));

        server.file("org/bin/resolve/main/config.json", "{}")
                .file("org/bin/resolve/" + FakeHub.COMMIT + "/tokenizer.json", "{}");
        var e = assertThrows(HubException.class, () -> hub().build().downloadModel("org/bin"));
        assertTrue(e.getMessage().contains("no model.safetensors"), e.getMessage());
    }
}
