package dev.tunelab.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import okio.Buffer;

/**
 * A Hugging Face Hub in miniature for tests: the resolve endpoint on one server and an LFS
 * "CDN" on another, as on huggingface.co. Small files answer with their git blob sha1 as ETag;
 * LFS files redirect to the CDN with {@code X-Linked-Etag} (sha256) and {@code X-Linked-Size}.
 * The CDN honours {@code Range} (206). Faults can be injected: a status for a path, a wrong
 * sha256, a connection dropped halfway through the next body.
 */
public final class FakeHub implements AutoCloseable {
    public static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    public final MockWebServer hub = new MockWebServer();
    public final MockWebServer cdn = new MockWebServer();
    public final List<RecordedRequest> hubRequests = new CopyOnWriteArrayList<>();
    public final List<RecordedRequest> cdnRequests = new CopyOnWriteArrayList<>();

    private record Spec(byte[] data, boolean lfs, String etag) {}

    private final Map<String, Spec> files = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, int[]> statuses = new ConcurrentHashMap<>();
    private final Map<String, String> errorCodes = new ConcurrentHashMap<>();
    private volatile String requiredToken;
    private volatile int dropNextBodyAt = -1;
    private volatile int treePageSize = 1000;

    public FakeHub() throws IOException {
        cdn.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                cdnRequests.add(r);
                byte[] data = blobs.get(r.getPath().substring("/cdn/".length()));
                return data == null ? new MockResponse().setResponseCode(404) : body(data, r.getHeader("Range"));
            }
        });
        hub.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                hubRequests.add(r);
                return answer(r);
            }
        });
        cdn.start();
        hub.start();
    }

    public String endpoint() {
        return hub.url("/").toString();
    }

    /** Serves {@code data} at {@code path} ("datasets/org/name/resolve/main/file" or "org/name/resolve/main/file"). */
    public FakeHub file(String path, byte[] data, boolean lfs) {
        String sha256 = hex("SHA-256", data, null);
        files.put("/" + path, new Spec(data, lfs, lfs ? sha256 : gitSha1(data)));
        if (lfs) blobs.put(sha256, data);
        return this;
    }

    public FakeHub file(String path, String text) {
        return file(path, text.getBytes(StandardCharsets.UTF_8), false);
    }

    /** Serves {@code data} but announces {@code claimedSha256} as its hash (a corrupt upload or transfer). */
    public FakeHub lfsFileWithWrongHash(String path, byte[] data, String claimedSha256) {
        files.put("/" + path, new Spec(data, true, claimedSha256));
        blobs.put(claimedSha256, data);
        return this;
    }

    public FakeHub status(String path, int code, String errorCode) {
        statuses.put("/" + path, new int[] {code});
        if (errorCode != null) errorCodes.put("/" + path, errorCode);
        return this;
    }

    /** Every request needs {@code Authorization: Bearer token}, else 401. */
    public FakeHub requireToken(String token) {
        this.requiredToken = token;
        return this;
    }

    /** How many entries one page of the tree API holds (the rest follow through {@code Link} headers). */
    public FakeHub treePageSize(int n) {
        this.treePageSize = n;
        return this;
    }

    /**
     * The tree API, {@code /api/datasets/org/name/tree/<revision>?recursive=true[&cursor=i]}:
     * the files served under {@code datasets/org/name/resolve/<revision>/}, paged.
     */
    private MockResponse tree(RecordedRequest r) {
        var url = r.getRequestUrl();
        List<String> seg = url.encodedPathSegments(); // api, datasets|models..., tree, <revision encoded>
        int t = seg.indexOf("tree");
        String repoPath = String.join("/", seg.subList(1, t)).replaceFirst("^models/", "");
        String prefix = "/" + repoPath + "/resolve/" + seg.get(t + 1) + "/";
        List<String> paths = files.keySet().stream().filter(k -> k.startsWith(prefix)).map(k -> k.substring(prefix.length()))
                .sorted().toList();
        int from = url.queryParameter("cursor") == null ? 0 : Integer.parseInt(url.queryParameter("cursor"));
        int to = Math.min(paths.size(), from + treePageSize);
        StringBuilder json = new StringBuilder("[");
        if (from == 0 && !paths.isEmpty()) json.append("{\"type\":\"directory\",\"path\":\"somedir\"},");
        for (int i = from; i < to; i++) {
            json.append(i > from ? "," : "").append("{\"type\":\"file\",\"path\":\"").append(paths.get(i)).append("\",\"size\":1}");
        }
        if (json.charAt(json.length() - 1) == ',') json.setLength(json.length() - 1);
        MockResponse m = new MockResponse().setBody(json.append("]").toString());
        if (to < paths.size()) {
            m.setHeader("Link", "<" + url.newBuilder().setQueryParameter("cursor", String.valueOf(to)).build() + ">; rel=\"next\"");
        }
        return m;
    }

    /** The next body (hub or CDN) stops after {@code bytes} bytes and the connection drops. */
    public FakeHub dropNextBodyAt(int bytes) {
        this.dropNextBodyAt = bytes;
        return this;
    }

    private MockResponse answer(RecordedRequest r) {
        String path = r.getPath();
        if (requiredToken != null && !("Bearer " + requiredToken).equals(r.getHeader("Authorization"))) {
            return new MockResponse().setResponseCode(401).setHeader("X-Error-Code", "GatedRepo");
        }
        if (path.startsWith("/api/") && r.getRequestUrl().encodedPathSegments().contains("tree")) return tree(r);
        int[] status = statuses.get(path);
        if (status != null) {
            MockResponse m = new MockResponse().setResponseCode(status[0]);
            if (errorCodes.containsKey(path)) m.setHeader("X-Error-Code", errorCodes.get(path));
            return m;
        }
        Spec spec = files.get(path);
        if (spec == null) return new MockResponse().setResponseCode(404).setHeader("X-Error-Code", "EntryNotFound");
        if (spec.lfs()) {
            return new MockResponse().setResponseCode(302)
                    .setHeader("Location", cdn.url("/cdn/" + spec.etag()).toString())
                    .setHeader("X-Repo-Commit", COMMIT)
                    .setHeader("X-Linked-Etag", "\"" + spec.etag() + "\"")
                    .setHeader("X-Linked-Size", spec.data().length)
                    .setHeader("ETag", "\"" + gitSha1("pointer".getBytes(StandardCharsets.UTF_8)) + "\"");
        }
        MockResponse m = r.getMethod().equals("HEAD")
                ? new MockResponse().setHeader("Content-Length", spec.data().length)
                : body(spec.data(), r.getHeader("Range"));
        return m.setHeader("X-Repo-Commit", COMMIT).setHeader("ETag", "\"" + spec.etag() + "\"");
    }

    private MockResponse body(byte[] data, String range) {
        int from = 0;
        MockResponse m = new MockResponse();
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            m.setResponseCode(206).setHeader("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
        }
        int to = data.length;
        int drop = dropNextBodyAt;
        if (drop >= 0) {
            dropNextBodyAt = -1;
            to = Math.min(to, from + drop);
            m.setSocketPolicy(SocketPolicy.DISCONNECT_AT_END);
        }
        m.setBody(new Buffer().write(data, from, to - from));
        m.setHeader("Content-Length", data.length - from); // announce the whole rest, even when dropping
        return m;
    }

    public static String sha256(byte[] data) {
        return hex("SHA-256", data, null);
    }

    public static String gitSha1(byte[] data) {
        return hex("SHA-1", data, ("blob " + data.length + "\0").getBytes(StandardCharsets.US_ASCII));
    }

    private static String hex(String algorithm, byte[] data, byte[] prefix) {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            if (prefix != null) md.update(prefix);
            return HexFormat.of().formatHex(md.digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws IOException {
        hub.shutdown();
        cdn.shutdown();
    }
}
