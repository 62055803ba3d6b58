package dev.tunelab.track;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.Credentials;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;

/**
 * A W&amp;B server as the protocol note describes it, for MockWebServer: Basic auth with user
 * "api", GraphQL Viewer / UpsertBucket / RunResumeStatus / CreateRunFiles, file_stream with
 * line offsets (a line sent again at its offset replaces itself; a gap is refused with 400),
 * upload PUTs. Faults can be queued per kind: an HTTP status, RESET (the request is applied,
 * then the connection is dropped before the answer, as when a connection breaks mid-stream),
 * RESET_BEFORE (dropped before anything is read) or GRAPHQL_ERRORS (200 with an errors array).
 */
final class FakeWandb extends Dispatcher {
    /** Let this request through (to aim a later fault at a later request). */
    static final int PASS = 0;
    static final int RESET = -1;
    /** Drop the connection before reading the request: nothing is applied. */
    static final int RESET_BEFORE = -2;
    /** HTTP 429 with {@code RateLimit-Reset: 0.1}. */
    static final int RATE_LIMITED = -4;
    /** HTTP 200 whose body is a GraphQL {@code errors} array. */
    static final int GRAPHQL_ERRORS = -3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String auth;
    final List<RecordedRequest> requests = Collections.synchronizedList(new ArrayList<>());
    final List<String> history = new ArrayList<>();
    final List<String> console = new ArrayList<>();
    final List<String> gaps = new ArrayList<>();
    final Map<String, byte[]> uploads = new LinkedHashMap<>();
    final List<String> uploaded = new ArrayList<>();
    String summary;
    Integer exitCode;
    /** Answer file_stream with "stopped": true (the stop button in the UI). */
    boolean stopped;
    /** Where the MockWebServer serving this fake listens (set by the test that starts it). */
    String url;
    /** Read every request and never answer (a server that hangs, or a proxy that swallows requests). */
    volatile boolean silent;
    final Map<String, Deque<Integer>> faults = new LinkedHashMap<>();
    /** A sweep controller: each idle heartbeat gets the next of these trials' args, then "exit". */
    final Deque<String> sweepArgs = new ArrayDeque<>();
    int sweepRuns;

    FakeWandb(String apiKey) {
        this.auth = Credentials.basic("api", apiKey);
    }

    /** Queues faults for "graphql", "file_stream" or "upload" requests, in order. */
    FakeWandb fail(String kind, Integer... statuses) {
        faults.computeIfAbsent(kind, k -> new ArrayDeque<>()).addAll(List.of(statuses));
        return this;
    }

    @Override
    public synchronized MockResponse dispatch(RecordedRequest request) {
        requests.add(request);
        if (silent) {
            return new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE);
        }
        String path = request.getPath();
        String kind = path.startsWith("/graphql") ? "graphql" : path.endsWith("/file_stream") ? "file_stream" : "upload";
        if (!kind.equals("upload") && !auth.equals(request.getHeader("Authorization"))) {
            return json(401, "{\"errors\":[{\"message\":\"user is not logged in\"}]}");
        }
        Deque<Integer> queue = faults.get(kind);
        Integer fault = queue == null ? null : queue.poll();
        if (fault != null && fault == PASS) {
            fault = null;
        }
        if (fault != null && fault == RESET_BEFORE) {
            return new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AT_START);
        }
        if (fault != null && fault == RATE_LIMITED) {
            return json(429, "{}").setHeader("RateLimit-Remaining", "0").setHeader("RateLimit-Reset", "0.1");
        }
        if (fault != null && fault == GRAPHQL_ERRORS) {
            return json(200, "{\"errors\":[{\"message\":\"config too large\"}],\"data\":null}");
        }
        if (fault != null && fault != RESET) {
            return json(fault, "{\"error\":\"injected " + fault + "\"}");
        }
        MockResponse response;
        try {
            JsonNode body = kind.equals("upload") ? null : JSON.readTree(request.getBody().clone().readUtf8());
            response = switch (kind) {
                case "graphql" -> graphql(body);
                case "file_stream" -> fileStream(body);
                default -> {
                    uploads.put(path.substring("/upload/".length()), request.getBody().clone().readByteArray());
                    yield new MockResponse().setResponseCode(200);
                }
            };
        } catch (IOException e) {
            return json(400, "{\"error\":\"bad json\"}");
        }
        return fault != null ? response.setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST) : response;
    }

    /** The GraphQL operation name of a recorded request ("Viewer", "UpsertBucket", ...). */
    static String operation(RecordedRequest r) {
        try {
            String q = JSON.readTree(r.getBody().clone().readUtf8()).path("query").asText();
            var m = java.util.regex.Pattern.compile("^\\s*(?:query|mutation)\\s+(\\w+)").matcher(q);
            return m.find() ? m.group(1) : "?";
        } catch (IOException e) {
            return "?";
        }
    }

    static JsonNode body(RecordedRequest r) {
        try {
            return JSON.readTree(r.getBody().clone().readUtf8());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** How many history lines all file_stream posts carried, re-sent ones counted again. */
    synchronized int historyLinesSent() {
        int n = 0;
        for (RecordedRequest r : requests("/file_stream")) {
            n += body(r).path("files").path(WandbSender.HISTORY).path("content").size();
        }
        return n;
    }

    synchronized List<RecordedRequest> requests(String operationOrPathSuffix) {
        List<RecordedRequest> out = new ArrayList<>();
        for (RecordedRequest r : requests) {
            if (r.getPath().endsWith(operationOrPathSuffix)
                    || (r.getPath().equals("/graphql") && operation(r).equals(operationOrPathSuffix))) {
                out.add(r);
            }
        }
        return out;
    }

    private MockResponse graphql(JsonNode body) {
        String query = body.path("query").asText();
        JsonNode v = body.path("variables");
        ObjectNode data = JSON.createObjectNode();
        if (query.startsWith("query Viewer")) {
            data.putObject("viewer").put("id", "u1").put("entity", "default-entity").put("username", "alice");
        } else if (query.startsWith("mutation UpsertBucket")) {
            ObjectNode bucket = data.putObject("upsertBucket").put("inserted", true).putObject("bucket");
            bucket.put("id", "b1").put("name", v.path("name").asText()).put("historyLineCount", history.size());
            ObjectNode project = bucket.putObject("project").put("id", "p1").put("name", v.path("project").asText());
            project.putObject("entity").put("id", "e1").put("name", v.path("entity").asText());
        } else if (query.startsWith("query RunResumeStatus")) {
            ObjectNode model = data.putObject("model");
            if (history.isEmpty()) {
                model.putNull("bucket");
            } else {
                model.putObject("bucket").put("historyLineCount", history.size()).put("logLineCount", console.size())
                        .put("eventsLineCount", 0);
            }
        } else if (query.startsWith("mutation CreateRunFiles")) {
            ObjectNode created = data.putObject("createRunFiles").put("runID", "r1");
            created.putArray("uploadHeaders").add("Content-Type:application/octet-stream").add("X-Test: yes");
            var files = created.putArray("files");
            v.path("files").forEach(f -> files.addObject().put("name", f.asText()).put("uploadUrl", "/upload/" + f.asText()));
        } else if (query.startsWith("mutation UpsertSweep")) {
            ObjectNode sweep = data.putObject("upsertSweep").putObject("sweep").put("name", "sw1");
            sweep.putObject("project").put("id", "p1").put("name", v.path("projectName").asText())
                    .putObject("entity").put("id", "e1").put("name", v.path("entityName").asText());
        } else if (query.startsWith("mutation CreateAgent")) {
            data.putObject("createAgent").putObject("agent").put("id", "agent-1");
        } else if (query.startsWith("mutation Heartbeat")) {
            String commands = "[]";
            if (v.path("runState").asText().equals("{}")) {
                String args = sweepArgs.poll();
                commands = args == null ? "[{\"type\": \"exit\"}]"
                        : "[{\"type\": \"run\", \"run_id\": \"sweep-run-" + (++sweepRuns) + "\", \"args\": " + args + "}]";
            }
            data.putObject("agentHeartbeat").put("commands", commands).putObject("agent").put("id", "agent-1");
        } else {
            return json(400, "{\"errors\":[{\"message\":\"unknown query\"}]}");
        }
        ObjectNode out = JSON.createObjectNode();
        out.set("data", data);
        return json(200, out.toString());
    }

    private MockResponse fileStream(JsonNode body) {
        JsonNode files = body.path("files");
        if (files.has(WandbSender.HISTORY) && !place(history, files.path(WandbSender.HISTORY), "history")) {
            return json(400, "{\"error\":\"gap\"}");
        }
        if (files.has(WandbSender.CONSOLE) && !place(console, files.path(WandbSender.CONSOLE), "console")) {
            return json(400, "{\"error\":\"gap\"}");
        }
        if (files.has(WandbSender.SUMMARY)) {
            summary = files.path(WandbSender.SUMMARY).path("content").get(0).asText();
        }
        body.path("uploaded").forEach(u -> uploaded.add(u.asText()));
        if (body.path("complete").asBoolean(false)) {
            exitCode = body.path("exitcode").asInt();
        }
        return json(200, stopped ? "{\"stopped\":true}" : "{}");
    }

    /** Lines land at their offsets: re-sent lines replace themselves, a gap is an error. */
    private boolean place(List<String> lines, JsonNode chunk, String what) {
        int offset = chunk.path("offset").asInt();
        if (offset > lines.size()) {
            gaps.add(what + " offset " + offset + " but only " + lines.size() + " lines");
            return false;
        }
        int i = offset;
        for (JsonNode line : chunk.path("content")) {
            if (i < lines.size()) {
                lines.set(i, line.asText());
            } else {
                lines.add(line.asText());
            }
            i++;
        }
        return true;
    }

    private static MockResponse json(int status, String body) {
        return new MockResponse().setResponseCode(status).setHeader("Content-Type", "application/json").setBody(body);
    }
}
