package dev.tunelab.track;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Credentials;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * The HTTP calls of the W&amp;B protocol (see {@code wandb-protocol.md}), one attempt each:
 * GraphQL (viewer, UpsertBucket, resume status, CreateRunFiles), file_stream, and the upload PUT.
 * Each failure is a {@link WandbException} saying whether a retry may help; {@link Backoff} retries.
 */
final class WandbApi {
    static final MediaType JSON_TYPE = MediaType.get("application/json");
    private static final ObjectMapper JSON = new ObjectMapper();

    static final String VIEWER = "query Viewer { viewer { id entity username teams { edges { node { name } } } } }";

    static final String UPSERT_BUCKET = """
            mutation UpsertBucket($id: String, $name: String, $project: String, $entity: String, \
            $groupName: String, $description: String, $displayName: String, $notes: String, $commit: String, \
            $config: JSONString, $host: String, $program: String, $repo: String, $jobType: String, \
            $state: String, $sweep: String, $tags: [String!], $summaryMetrics: JSONString) {
              upsertBucket(input: {id: $id, name: $name, groupName: $groupName, modelName: $project, \
            entityName: $entity, description: $description, displayName: $displayName, notes: $notes, \
            config: $config, commit: $commit, host: $host, jobProgram: $program, jobRepo: $repo, \
            jobType: $jobType, state: $state, sweep: $sweep, tags: $tags, summaryMetrics: $summaryMetrics}) {
                bucket { id name displayName description config sweepName historyLineCount \
            project { id name entity { id name } } }
                inserted
              }
            }""";

    static final String RESUME_STATUS = """
            query RunResumeStatus($project: String, $entity: String, $name: String!) {
              model(name: $project, entityName: $entity) {
                bucket(name: $name, missingOk: true) { historyLineCount eventsLineCount logLineCount \
            summaryMetrics config historyTail tags }
              }
            }""";

    static final String CREATE_RUN_FILES = """
            mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
              createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) {
                runID uploadHeaders files { name uploadUrl }
              }
            }""";

    /** file_stream statuses that are dropped, not retried ([L] 400/403/404/409, [H] also 401/410/413/422/501). */
    private static final Set<Integer> STREAM_FINAL = Set.of(400, 401, 403, 404, 409, 410, 413, 422, 501);
    /** Upload statuses worth retrying (protocol note section 4). */
    private static final Set<Integer> UPLOAD_RETRY = Set.of(308, 408, 409, 429, 500, 502, 503, 504);

    private final String baseUrl;
    private final String auth;
    private final OkHttpClient http;
    private final OkHttpClient uploads;
    private volatile long deadline = Long.MAX_VALUE;

    WandbApi(WandbSettings settings) {
        this.baseUrl = settings.baseUrl;
        this.auth = settings.apiKey == null ? null : Credentials.basic("api", settings.apiKey);
        this.http = new OkHttpClient.Builder().callTimeout(settings.httpTimeout).retryOnConnectionFailure(false).build();
        this.uploads = http.newBuilder().callTimeout(settings.httpTimeout.multipliedBy(30)).build();
    }

    String baseUrl() {
        return baseUrl;
    }

    /**
     * From now on no call outlives {@code deadline} (a System.nanoTime()): the run finished, and a
     * server that accepted a request and never answers must not hold the sender past its budget.
     */
    void deadline(long deadline) {
        this.deadline = deadline;
    }

    /**
     * Cancels the calls in flight (from another thread), the backstop once the finish budget is
     * spent. Both clients share one dispatcher, so uploads are cancelled too.
     */
    void cancelAll() {
        http.dispatcher().cancelAll();
    }

    /** Lets go of idle connections and the dispatcher's threads (one client per run: a sweep makes many). */
    void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }

    /** One GraphQL call; returns {@code data}. A 200 with {@code errors} is a failure that is not retried. */
    JsonNode graphql(String operation, String query, ObjectNode variables) throws WandbException {
        ObjectNode body = JSON.createObjectNode();
        body.put("query", query);
        body.set("variables", variables);
        JsonNode json = post(operation, baseUrl + "/graphql", body, WandbApi::graphqlRetryable);
        JsonNode errors = json.path("errors");
        if (errors.isArray() && !errors.isEmpty()) {
            List<String> messages = new ArrayList<>();
            errors.forEach(e -> messages.add(e.path("message").asText()));
            throw new WandbException(operation + " failed: " + String.join("; ", messages), 200, false, null);
        }
        return json.path("data");
    }

    /** One file_stream POST for a run; returns the response body (it may say {@code "stopped": true}). */
    JsonNode fileStream(String entity, String project, String run, ObjectNode body) throws WandbException {
        String url = baseUrl + "/files/" + entity + "/" + project + "/" + run + "/file_stream";
        return post("file_stream", url, body, status -> !STREAM_FINAL.contains(status));
    }

    /** PUTs a file's bytes to an upload URL with the headers CreateRunFiles gave (no W&amp;B auth on it). */
    void upload(String uploadUrl, List<String> headers, Path file) throws WandbException {
        String url = uploadUrl.startsWith("/") ? baseUrl + uploadUrl : uploadUrl;
        Request.Builder req = new Request.Builder().url(url).put(RequestBody.create(file.toFile(), null));
        for (String h : headers) {
            int colon = h.indexOf(':');
            if (colon > 0) {
                req.header(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
            }
        }
        try (Response r = call(uploads, req.build()).execute()) {
            if (!r.isSuccessful()) {
                throw new WandbException("upload of " + file.getFileName() + " got HTTP " + r.code(), r.code(),
                        UPLOAD_RETRY.contains(r.code()), null);
            }
        } catch (IOException e) {
            throw new WandbException("upload of " + file.getFileName() + " failed: " + e, 0, true, e);
        }
    }

    private interface Retryable {
        boolean test(int status);
    }

    private JsonNode post(String what, String url, ObjectNode body, Retryable retryable) throws WandbException {
        Request.Builder req = new Request.Builder().url(url).header("User-Agent", "tunelab")
                .post(RequestBody.create(body.toString(), JSON_TYPE));
        if (auth != null) {
            req.header("Authorization", auth);
        }
        try (Response r = call(http, req.build()).execute()) {
            String text = r.body() == null ? "" : r.body().string();
            if (!r.isSuccessful()) {
                WandbException e = new WandbException(what + " got HTTP " + r.code() + message(text), r.code(),
                        retryable.test(r.code()), null);
                String reset = r.header("RateLimit-Reset");
                if (r.code() == 429 && reset != null && reset.trim().matches("\\d+(\\.\\d+)?")) {
                    e.addSuppressed(new Backoff.RetryAfter((long) (Double.parseDouble(reset.trim()) * 1e9)));
                }
                throw e;
            }
            return text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (IOException e) {
            // connection refused or reset, timeout, or an unreadable body: worth another try
            throw new WandbException(what + " failed: " + e, 0, true, e);
        }
    }

    /** A call with the client's timeout, shortened to end by the deadline when one is set. */
    private Call call(OkHttpClient client, Request request) {
        Call call = client.newCall(request);
        if (deadline != Long.MAX_VALUE) {
            long left = Math.max(1, deadline - System.nanoTime());
            long timeout = TimeUnit.MILLISECONDS.toNanos(client.callTimeoutMillis()); // 0: none
            if (timeout == 0 || left < timeout) {
                call.timeout().timeout(left, TimeUnit.NANOSECONDS);
            }
        }
        return call;
    }

    /** GraphQL: 401/403/404/400/410 are final; 409 (upsert conflict), 429, 5xx are retried (note section 6). */
    private static boolean graphqlRetryable(int status) {
        return status == 409 || status == 429 || status >= 500;
    }

    /** The server's own words, from {@code errors[].message} when the body is GraphQL JSON. */
    private static String message(String body) {
        try {
            JsonNode errors = JSON.readTree(body).path("errors");
            if (errors.isArray() && !errors.isEmpty()) {
                return ": " + errors.get(0).path("message").asText();
            }
        } catch (IOException | RuntimeException ignored) {
            // not JSON
        }
        return body.isBlank() ? "" : ": " + (body.length() > 200 ? body.substring(0, 200) + "..." : body);
    }
}
