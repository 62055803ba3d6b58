package dev.tunelab.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.display.ProgressBar;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Downloads files of Hugging Face Hub repositories into a cache laid out like
 * {@code huggingface_hub}'s, so files either of them downloaded are found by the other:
 *
 * <pre>
 * $HF_HUB_CACHE (default $HF_HOME/hub, HF_HOME default ~/.cache/huggingface)
 *   models--org--name/              datasets--org--name/ for data sets
 *     blobs/&lt;etag&gt;                  the bytes, named by sha256 (LFS files) or git blob sha1
 *     refs/main                      the commit that "main" resolved to
 *     snapshots/&lt;commit&gt;/&lt;file&gt;     a relative symbolic link to the blob (a copy where links fail)
 * </pre>
 *
 * <p>Environment: {@code HF_ENDPOINT} (default {@code https://huggingface.co}), {@code HF_HOME},
 * {@code HF_HUB_CACHE}, {@code HF_TOKEN} (else the {@code $HF_HOME/token} file that
 * {@code huggingface-cli login} writes) sent as {@code Authorization: Bearer} to the endpoint
 * only and never printed, {@code HF_HUB_OFFLINE=1} (only the cache is used).
 *
 * <p>A download asks for the file's metadata first (commit, etag, size), then streams the bytes
 * into {@code blobs/<etag>.incomplete}, resuming with a {@code Range} request from what an
 * earlier, interrupted download left there. The finished file is checked against its size and
 * hash (the etag of an LFS file is its sha256; of a small file, its git blob sha1; the caller may
 * also give a sha256) and only then renamed to its blob: a mismatch deletes it and leaves
 * nothing in the cache.
 */
public final class Hub {

    /** What kind of repository; they live under different URLs and cache folders. */
    public enum RepoType {
        MODEL("models", ""), DATASET("datasets", "datasets");

        final String cachePrefix;
        final String urlPrefix;

        RepoType(String cachePrefix, String urlPrefix) {
            this.cachePrefix = cachePrefix;
            this.urlPrefix = urlPrefix;
        }
    }

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][\\w.-]*(/[\\w.-]+)?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final int ATTEMPTS = 3;
    private static final long MIB = 1 << 20;
    private static final Map<Path, Object> LOCKS = new ConcurrentHashMap<>();

    private final HttpUrl endpoint;
    private final Path cacheDir;
    private final String token;
    private final boolean offline;
    private final long progressThreshold;
    private final OkHttpClient http;
    private final OkHttpClient noRedirects;

    private Hub(Builder b) {
        this.endpoint = HttpUrl.get(b.endpoint);
        this.cacheDir = b.cacheDir;
        this.token = b.token == null || b.token.isBlank() ? null : b.token.strip();
        this.offline = b.offline;
        this.progressThreshold = b.progressThreshold;
        this.http = b.client.newBuilder().followRedirects(true).followSslRedirects(true).build();
        this.noRedirects = b.client.newBuilder().followRedirects(false).followSslRedirects(false).build();
    }

    /** The client the environment describes (see the class comment). */
    public static Hub fromEnvironment() {
        return builder().environment(System::getenv).build();
    }

    /** A client configured in code; starts from the defaults, not from the environment. */
    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private String endpoint = DEFAULT_ENDPOINT;
        private Path cacheDir = Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
        private String token;
        private boolean offline;
        private long progressThreshold = 16 * MIB;
        private OkHttpClient client = new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(10))
                .readTimeout(Duration.ofSeconds(60))
                .build();

        /** Reads HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_TOKEN (or $HF_HOME/token) and HF_HUB_OFFLINE. */
        public Builder environment(Function<String, String> env) {
            String home = env.apply("HF_HOME");
            Path hfHome = home != null && !home.isBlank() ? Path.of(home)
                    : Path.of(System.getProperty("user.home"), ".cache", "huggingface");
            String hubCache = env.apply("HF_HUB_CACHE");
            cacheDir = hubCache != null && !hubCache.isBlank() ? Path.of(hubCache) : hfHome.resolve("hub");
            String ep = env.apply("HF_ENDPOINT");
            if (ep != null && !ep.isBlank()) endpoint = ep.strip();
            token = env.apply("HF_TOKEN");
            if (token == null || token.isBlank()) token = env.apply("HUGGING_FACE_HUB_TOKEN");
            if (token == null || token.isBlank()) {
                Path saved = hfHome.resolve("token");
                try {
                    token = Files.isRegularFile(saved) ? Files.readString(saved).strip() : null;
                } catch (IOException e) {
                    token = null; // an unreadable token file is the same as none
                }
            }
            String off = env.apply("HF_HUB_OFFLINE");
            offline = off != null && Set.of("1", "true", "yes", "on").contains(off.strip().toLowerCase(Locale.ROOT));
            return this;
        }

        /** Base URL of the Hub, for a mirror or a test server. */
        public Builder endpoint(String url) {
            this.endpoint = Objects.requireNonNull(url, "url");
            return this;
        }

        /** The hub cache folder (what HF_HUB_CACHE names). */
        public Builder cacheDir(Path dir) {
            this.cacheDir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        public Builder token(String token) {
            this.token = token;
            return this;
        }

        public Builder offline(boolean offline) {
            this.offline = offline;
            return this;
        }

        /** Files of at least this many bytes show a progress bar (default 16 MiB). */
        public Builder progressThreshold(long bytes) {
            this.progressThreshold = bytes;
            return this;
        }

        public Builder client(OkHttpClient client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        public Hub build() {
            return new Hub(this);
        }
    }

    /** Whether {@code s} has the shape of a Hub repository id ({@code org/name}). */
    public static boolean isRepoId(String s) {
        return s != null && s.indexOf('/') > 0 && REPO_ID.matcher(s).matches() && !s.contains("..");
    }

    public Path cacheDir() {
        return cacheDir;
    }

    public boolean offline() {
        return offline;
    }

    public boolean hasToken() {
        return token != null;
    }

    @Override
    public String toString() {
        return "Hub[endpoint=" + endpoint + ", cache=" + cacheDir + ", token=" + (token != null ? "set" : "none")
                + ", offline=" + offline + "]";
    }

    // ------------------------------------------------------------------ downloads

    /** A model repository's file at {@code main}. */
    public Path download(String repoId, String file) {
        return download(RepoType.MODEL, repoId, "main", file, null);
    }

    /** A data-set repository's file at {@code main}. */
    public Path downloadDataset(String repoId, String file) {
        return download(RepoType.DATASET, repoId, "main", file, null);
    }

    /**
     * The path in the cache of {@code file} of {@code repoId} at {@code revision} (a branch, tag
     * or commit), downloading it when needed.
     *
     * @param expectedSha256 the file's sha256 in hex when the caller knows it, else null
     * @throws HubException naming the repository and file: not found, not allowed (gated or
     *     private), offline and not cached, checksum mismatch, network failure
     */
    public Path download(RepoType type, String repoId, String revision, String file, String expectedSha256) {
        return resolve(type, repoId, revision, file, expectedSha256).path();
    }

    /** Like {@link #download} but empty when the repository has no such file. */
    public Optional<Path> tryDownload(RepoType type, String repoId, String revision, String file) {
        try {
            return Optional.of(download(type, repoId, revision, file, null));
        } catch (HubException e) {
            if (e.isMissingFile()) return Optional.empty();
            throw e;
        }
    }

    /** The cached copy of a file, without any network access. */
    public Optional<Path> cached(RepoType type, String repoId, String revision, String file) {
        Path repo = repoDir(type, repoId);
        String commit = revision;
        if (!COMMIT.matcher(revision).matches()) {
            Path ref = repo.resolve("refs").resolve(revision);
            try {
                if (!Files.isRegularFile(ref)) return Optional.empty();
                commit = Files.readString(ref).strip();
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        Path p = repo.resolve("snapshots").resolve(commit).resolve(file);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty(); // follows the link: a dangling one is a miss
    }

    /**
     * The paths of every file in a repository at {@code revision} (a branch such as {@code main},
     * a ref such as {@code refs/convert/parquet}, or a commit), from the Hub's tree API
     * ({@code /api/datasets/<repo>/tree/<revision>?recursive=true}, following its {@code Link}
     * pages). Offline, or when the Hub cannot be reached, the files of the cached snapshot of
     * that revision, which may be only those downloaded so far.
     */
    public List<String> listFiles(RepoType type, String repoId, String revision) {
        checkNames(repoId, revision, "x"); // any valid file name: only the repository and revision are checked
        String what = (type == RepoType.DATASET ? "dataset" : "model") + " repo '" + repoId + "' at revision '" + revision + "'";
        if (!offline) {
            try {
                return listRemote(type, repoId, revision, what);
            } catch (IOException e) {
                List<String> cachedFiles = listCached(type, repoId, revision);
                if (!cachedFiles.isEmpty()) return cachedFiles;
                throw new HubException("cannot reach " + endpoint + " to list the files of " + what + ": " + e.getMessage()
                        + " (nothing cached either)", 0, null, e);
            }
        }
        List<String> cachedFiles = listCached(type, repoId, revision);
        if (cachedFiles.isEmpty()) {
            throw new HubException("offline (HF_HUB_OFFLINE is set) and nothing of " + what + " is in the cache "
                    + repoDir(type, repoId));
        }
        return cachedFiles;
    }

    private List<String> listRemote(RepoType type, String repoId, String revision, String what) throws IOException {
        HttpUrl.Builder b = endpoint.newBuilder().addPathSegment("api").addPathSegment(type == RepoType.DATASET ? "datasets" : "models");
        for (String part : repoId.split("/")) b.addPathSegment(part);
        HttpUrl next = b.addPathSegment("tree").addPathSegment(revision).addQueryParameter("recursive", "true").build();
        List<String> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (int page = 0; next != null; page++) {
            if (page > 10_000) throw new HubException("the Hub's file list of " + what + " does not end");
            try (Response r = http.newCall(authorized(new Request.Builder().url(next), next).build()).execute()) {
                if (!r.isSuccessful()) throw failure(r, "the file list of " + what);
                JsonNode entries = json.readTree(r.body().byteStream());
                if (!entries.isArray()) throw new HubException("the Hub's file list of " + what + " is not a JSON array");
                for (JsonNode e : entries) if ("file".equals(e.path("type").asText())) out.add(e.path("path").asText());
                next = nextPage(r.header("Link"), next);
            }
        }
        return out;
    }

    /** The {@code rel="next"} address of a {@code Link} header, as the Hub pages its lists. */
    static HttpUrl nextPage(String link, HttpUrl base) {
        if (link == null) return null;
        for (String part : link.split(",")) {
            int lt = part.indexOf('<');
            int gt = part.indexOf('>');
            if (lt >= 0 && gt > lt && part.substring(gt).contains("rel=\"next\"")) return base.resolve(part.substring(lt + 1, gt));
        }
        return null;
    }

    private List<String> listCached(RepoType type, String repoId, String revision) {
        Path repo = repoDir(type, repoId);
        String commit = revision;
        if (!COMMIT.matcher(revision).matches()) {
            try {
                Path ref = repo.resolve("refs").resolve(revision);
                if (!Files.isRegularFile(ref)) return List.of();
                commit = Files.readString(ref).strip();
            } catch (IOException e) {
                return List.of();
            }
        }
        Path snapshot = repo.resolve("snapshots").resolve(commit);
        if (!Files.isDirectory(snapshot)) return List.of();
        try (var files = Files.walk(snapshot)) {
            return files.filter(Files::isRegularFile).map(p -> snapshot.relativize(p).toString().replace('\\', '/')).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * The files tunelab needs to run a model: {@code config.json}, {@code tokenizer.json},
     * the optional tokenizer/generation configs, and the safetensors weights (one file or the
     * shards an index names), all at one commit. Returns the snapshot folder.
     */
    public Path downloadModel(String repoId) {
        Resolved config = resolve(RepoType.MODEL, repoId, "main", "config.json", null);
        String commit = config.commit(); // pin the rest to the same commit
        download(RepoType.MODEL, repoId, commit, "tokenizer.json", null);
        for (String optional : List.of("tokenizer_config.json", "generation_config.json", "special_tokens_map.json")) {
            tryDownload(RepoType.MODEL, repoId, commit, optional);
        }
        Optional<Path> index = tryDownload(RepoType.MODEL, repoId, commit, "model.safetensors.index.json");
        if (index.isPresent()) {
            for (String shard : shards(index.get())) download(RepoType.MODEL, repoId, commit, shard, null);
        } else {
            try {
                download(RepoType.MODEL, repoId, commit, "model.safetensors", null);
            } catch (HubException e) {
                if (!e.isMissingFile()) throw e;
                throw new HubException("model repo " + repoId + " has no model.safetensors nor "
                        + "model.safetensors.index.json; tunelab reads safetensors only (never pickle .bin files)",
                        404, e.errorCode(), e);
            }
        }
        return config.path().getParent();
    }

    private static List<String> shards(Path index) {
        try {
            JsonNode map = new ObjectMapper().readTree(index.toFile()).path("weight_map");
            if (!map.isObject()) throw new HubException(index + ": no \"weight_map\" object");
            Set<String> files = new LinkedHashSet<>();
            map.forEach(v -> files.add(v.asText()));
            for (String shard : files) {
                if (!shard.endsWith(".safetensors")) {
                    throw new HubException(index + ": shard '" + shard + "' is not a .safetensors file;"
                            + " tunelab reads safetensors only (never pickle .bin files)");
                }
            }
            return new ArrayList<>(files);
        } catch (IOException e) {
            throw new HubException(index + ": not valid JSON: " + e.getMessage());
        }
    }

    private record Resolved(Path path, String commit) {}

    /** The file's metadata as the Hub's resolve endpoint reports it. */
    private record Meta(HttpUrl url, String commit, String etag, long size) {}

    private Resolved resolve(RepoType type, String repoId, String revision, String file, String expectedSha256) {
        checkNames(repoId, revision, file);
        String what = describe(type, repoId, revision, file);
        Path repo = repoDir(type, repoId);
        if (COMMIT.matcher(revision).matches()) { // a commit never changes: the cache is enough
            Path p = repo.resolve("snapshots").resolve(revision).resolve(file);
            if (Files.isRegularFile(p)) return new Resolved(p, revision);
        }
        if (offline) {
            return cached(type, repoId, revision, file).map(p -> new Resolved(p, commitOf(p)))
                    .orElseThrow(() -> new HubException("offline (HF_HUB_OFFLINE is set) and " + what
                            + " is not in the cache " + repo + "; download it once online, or unset HF_HUB_OFFLINE"));
        }
        Meta meta;
        try {
            meta = metadata(url(type, repoId, revision, file), what);
        } catch (IOException e) {
            Optional<Path> hit = cached(type, repoId, revision, file);
            if (hit.isPresent()) return new Resolved(hit.get(), commitOf(hit.get())); // as huggingface_hub does
            throw new HubException("cannot reach " + endpoint + " for " + what + ": " + e.getMessage()
                    + " (not in the cache either; set HF_HUB_OFFLINE=1 to use only the cache)", 0, null, e);
        }
        try {
            if (!revision.equals(meta.commit())) {
                Path ref = repo.resolve("refs").resolve(revision);
                if (!Files.isRegularFile(ref) || !Files.readString(ref).strip().equals(meta.commit())) {
                    AtomicFiles.writeString(ref, meta.commit());
                }
            }
            Path pointer = repo.resolve("snapshots").resolve(meta.commit()).resolve(file);
            Path blob = repo.resolve("blobs").resolve(meta.etag());
            if (!Files.isRegularFile(blob)) {
                fetchLocked(repo, meta, blob, expectedSha256, what, file);
            } else if (expectedSha256 != null) {
                verify(blob, meta, expectedSha256, what); // the caller's hash must hold for a cached blob too
            }
            if (!Files.isRegularFile(pointer)) link(pointer, blob);
            return new Resolved(pointer, meta.commit());
        } catch (IOException e) {
            throw new HubException("cannot write " + what + " to the cache " + repo + ": " + e.getMessage(), 0, null, e);
        }
    }

    private static String commitOf(Path pointer) {
        // snapshots/<commit>/<file...>: the commit is the folder under "snapshots"
        for (Path p = pointer.getParent(); p != null && p.getParent() != null; p = p.getParent()) {
            if (p.getParent().getFileName().toString().equals("snapshots")) return p.getFileName().toString();
        }
        return null;
    }

    private Meta metadata(HttpUrl url, String what) throws IOException {
        HttpUrl at = url;
        for (int hop = 0; hop < 5; hop++) {
            Request head = authorized(new Request.Builder().url(at).head().header("Accept-Encoding", "identity"), at).build();
            try (Response r = noRedirects.newCall(head).execute()) {
                String location = r.header("Location");
                // Relative redirects stay on the Hub (a renamed repo); an absolute one goes to the
                // CDN, and the metadata is on this response already.
                if (r.isRedirect() && location != null && location.startsWith("/")) {
                    at = at.resolve(location);
                    continue;
                }
                if (!r.isSuccessful() && !r.isRedirect()) throw failure(r, what);
                String commit = r.header("X-Repo-Commit");
                String etag = normalizeEtag(r.header("X-Linked-Etag") != null ? r.header("X-Linked-Etag") : r.header("ETag"));
                long size = parseSize(r.header("X-Linked-Size") != null ? r.header("X-Linked-Size") : r.header("Content-Length"));
                if (commit == null || !COMMIT.matcher(commit).matches()) {
                    throw new HubException(endpoint + " sent no commit (X-Repo-Commit) for " + what
                            + "; is HF_ENDPOINT a Hugging Face Hub?", r.code(), null, null);
                }
                if (etag == null || etag.isEmpty() || etag.contains("/") || etag.contains("..")) {
                    throw new HubException(endpoint + " sent no usable ETag for " + what, r.code(), null, null);
                }
                return new Meta(url, commit, etag, size);
            }
        }
        throw new HubException("too many redirects for " + what);
    }

    /**
     * One writer per blob: threads of this JVM queue on a monitor, other processes on a file lock
     * at {@code .locks/<repo folder>/<etag>.lock}, where huggingface_hub keeps its own.
     */
    private void fetchLocked(Path repo, Meta meta, Path blob, String expectedSha256, String what, String file) throws IOException {
        Path lock = cacheDir.resolve(".locks").resolve(repo.getFileName().toString()).resolve(meta.etag() + ".lock");
        Files.createDirectories(lock.getParent());
        synchronized (LOCKS.computeIfAbsent(lock.toAbsolutePath().normalize(), k -> new Object())) {
            try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock held = ch.lock()) {
                if (!Files.isRegularFile(blob)) fetch(meta, blob, expectedSha256, what, file); // another writer may have finished it
            }
        }
    }

    /** Streams the file into {@code blob}.incomplete (resuming it), verifies it, renames it to {@code blob}. */
    private void fetch(Meta meta, Path blob, String expectedSha256, String what, String file) throws IOException {
        Files.createDirectories(blob.getParent());
        Path part = blob.resolveSibling(blob.getFileName() + ".incomplete");
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        if (meta.size() >= 0 && have > meta.size()) {
            Files.delete(part);
            have = 0;
        }
        ProgressBar bar = meta.size() >= progressThreshold
                ? ProgressBar.start(file + " (MiB)", Math.max(1, (meta.size() + MIB - 1) / MIB)) : null;
        for (int attempt = 1; meta.size() < 0 || have < meta.size(); attempt++) {
            if (attempt > ATTEMPTS) { // bodies that end early without an error: do not loop forever
                throw new HubException("download of " + what + " stopped at " + have + " of " + meta.size() + " bytes after "
                        + ATTEMPTS + " attempts (run again to resume from " + part + ")");
            }
            Request.Builder get = new Request.Builder().url(meta.url()).header("Accept-Encoding", "identity");
            if (have > 0) get.header("Range", "bytes=" + have + "-");
            try (Response r = http.newCall(authorized(get, meta.url()).build()).execute()) {
                if (r.code() == 416) { // our partial file does not fit the server's: start over
                    Files.deleteIfExists(part);
                    have = 0;
                    if (attempt >= ATTEMPTS) throw new HubException("cannot resume " + what + ": the server refuses the range", 416, null, null);
                    continue;
                }
                if (!r.isSuccessful()) throw failure(r, what);
                boolean append = have > 0 && r.code() == 206 && rangeStart(r.header("Content-Range")) == have;
                if (!append) have = 0; // the server sent the whole file (it ignored or moved the range)
                have = copy(r.body(), part, append, have, bar);
                if (meta.size() < 0) break; // unknown size: the response is the whole file
            } catch (IOException e) {
                have = Files.isRegularFile(part) ? Files.size(part) : 0;
                if (attempt >= ATTEMPTS) {
                    throw new HubException("download of " + what + " interrupted after " + have + " of " + meta.size()
                            + " bytes: " + e.getMessage() + " (run again to resume from " + part + ")", 0, null, e);
                }
            }
        }
        if (bar != null) bar.finish();
        verify(part, meta, expectedSha256, what);
        AtomicFiles.moveAtomically(part, blob);
    }

    private static long copy(ResponseBody body, Path part, boolean append, long have, ProgressBar bar) throws IOException {
        var options = append ? new StandardOpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.APPEND}
                : new StandardOpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE};
        byte[] buf = new byte[1 << 16];
        try (InputStream in = body.byteStream(); OutputStream out = Files.newOutputStream(part, options)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                have += n;
                if (bar != null) bar.step(have / MIB);
            }
        }
        return have;
    }

    /** Size, then the caller's sha256, then the etag's hash; a mismatch deletes {@code file}. */
    private static void verify(Path file, Meta meta, String expectedSha256, String what) throws IOException {
        long size = Files.size(file);
        String problem = null;
        if (meta.size() >= 0 && size != meta.size()) {
            problem = "size mismatch: expected " + meta.size() + " bytes, got " + size;
        } else {
            String expected = expectedSha256 != null ? expectedSha256.strip().toLowerCase(Locale.ROOT)
                    : SHA256.matcher(meta.etag()).matches() ? meta.etag() : null;
            if (expected != null) {
                String actual = digest(file, "SHA-256", false);
                if (!actual.equals(expected)) problem = "sha256 mismatch: expected " + expected + ", got " + actual;
            } else if (COMMIT.matcher(meta.etag()).matches()) {
                String actual = digest(file, "SHA-1", true);
                if (!actual.equals(meta.etag())) problem = "git blob sha1 mismatch: expected " + meta.etag() + ", got " + actual;
            }
        }
        if (problem != null) {
            Files.deleteIfExists(file);
            throw new HubException("checksum failed for " + what + ": " + problem
                    + "; the download was deleted and nothing was kept in the cache", 0, null, null);
        }
    }

    /** Hex digest of the file; as a git blob ({@code "blob <size>\0"} + bytes) when asked. */
    static String digest(Path file, String algorithm, boolean gitBlob) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (gitBlob) md.update(("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII));
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** snapshots/&lt;commit&gt;/&lt;file&gt; pointing at the blob: a relative link, or a copy where links fail. */
    private static void link(Path pointer, Path blob) throws IOException {
        Files.createDirectories(pointer.getParent());
        // unique per call: several threads or processes may link the same file at once
        Path tmp = pointer.resolveSibling("." + pointer.getFileName() + "." + java.util.UUID.randomUUID() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createSymbolicLink(tmp, pointer.getParent().relativize(blob));
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        AtomicFiles.moveAtomically(tmp, pointer);
    }

    // ------------------------------------------------------------------ helpers

    private Path repoDir(RepoType type, String repoId) {
        return cacheDir.resolve(type.cachePrefix + "--" + repoId.replace("/", "--"));
    }

    HttpUrl url(RepoType type, String repoId, String revision, String file) {
        HttpUrl.Builder b = endpoint.newBuilder();
        if (!type.urlPrefix.isEmpty()) b.addPathSegment(type.urlPrefix);
        for (String part : repoId.split("/")) b.addPathSegment(part);
        b.addPathSegment("resolve").addPathSegment(revision); // a '/' in a revision is encoded, as the Hub expects
        for (String part : file.split("/")) b.addPathSegment(part);
        return b.build();
    }

    private Request.Builder authorized(Request.Builder b, HttpUrl url) {
        // The token goes to the Hub only; OkHttp drops it on redirects to another host (the CDN).
        if (token != null && url.host().equals(endpoint.host())) b.header("Authorization", "Bearer " + token);
        return b;
    }

    private HubException failure(Response r, String what) {
        String code = r.header("X-Error-Code");
        int s = r.code();
        String msg;
        if (s == 401 || s == 403) {
            msg = token == null
                    ? what + ": access denied (HTTP " + s + "). The repository may be gated or private, or may not exist: "
                            + "accept its terms on " + endpoint + " if it is gated, then set HF_TOKEN to an access token"
                    : what + ": access denied (HTTP " + s + ") with the token from HF_TOKEN. If the repository is gated, "
                            + "accept its terms on " + endpoint + "; check that the token may read it";
        } else if (s == 404) {
            msg = switch (code == null ? "" : code) {
                case "RepoNotFound" -> what + ": no such repository (HTTP 404)";
                case "RevisionNotFound" -> what + ": no such revision (HTTP 404)";
                default -> what + ": not found (HTTP 404): check the repository and file names";
            };
        } else {
            msg = what + ": HTTP " + s + (r.message().isEmpty() ? "" : " " + r.message());
        }
        return new HubException(msg, s, code, null);
    }

    private static String describe(RepoType type, String repoId, String revision, String file) {
        return "file '" + file + "' of " + (type == RepoType.DATASET ? "dataset" : "model") + " repo '" + repoId + "'"
                + (revision.equals("main") ? "" : " at revision '" + revision + "'");
    }

    private static void checkNames(String repoId, String revision, String file) {
        if (repoId == null || !REPO_ID.matcher(repoId).matches() || repoId.contains("..")) {
            throw new IllegalArgumentException("not a Hub repository id: '" + repoId + "' (expected org/name)");
        }
        if (revision == null || revision.isBlank() || revision.contains("..")) {
            throw new IllegalArgumentException("bad revision: '" + revision + "'");
        }
        if (file == null || file.isBlank() || file.startsWith("/") || file.contains("\\")
                || List.of(file.split("/")).stream().anyMatch(p -> p.isEmpty() || p.equals("..") || p.equals("."))) {
            throw new IllegalArgumentException("bad file path in repo: '" + file + "'");
        }
    }

    static String normalizeEtag(String etag) {
        if (etag == null) return null;
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        return e;
    }

    private static long parseSize(String s) {
        try {
            return s == null ? -1 : Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long rangeStart(String contentRange) {
        // "bytes 100-999/1000"
        if (contentRange == null || !contentRange.startsWith("bytes ")) return -1;
        int dash = contentRange.indexOf('-');
        try {
            return dash < 0 ? -1 : Long.parseLong(contentRange.substring(6, dash).strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
