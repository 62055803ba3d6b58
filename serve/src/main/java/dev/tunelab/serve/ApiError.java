package dev.tunelab.serve;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request the server refuses, answered with OpenAI's error body
 * {@code {"error": {"message", "type", "param", "code"}}} and a 4xx status (see OpenAI's API
 * reference, "Error codes"): 400 for a malformed or unsupported request, 404 for an unknown model
 * or path, 429 when the queue is full.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiError(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400 invalid_request_error about {@code param} (null when no one field is at fault). */
    public static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, null, message);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String code() {
        return code;
    }

    /** The body: {"error": {...}} with null param and code kept as JSON nulls, as OpenAI sends them. */
    public Map<String, Object> body() {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return Map.of("error", error);
    }
}
