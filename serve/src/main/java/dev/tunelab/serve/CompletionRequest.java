package dev.tunelab.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tunelab.train.ChatTemplate.Message;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * One request to {@code /v1/completions} or {@code /v1/chat/completions}, read from its JSON with
 * OpenAI's field names and defaults (temperature 1, top_p 1; completions default to 16 new tokens,
 * chat to what the context leaves). A field the server cannot honour is refused naming it, never
 * ignored: {@code n} other than 1, {@code logprobs}, penalties other than 0, tools, and any field it
 * does not know.
 *
 * @param prompt the completion prompt; null for chat
 * @param messages the conversation; null for a completion
 * @param maxTokens new tokens asked for; null for "as many as fit" (chat only)
 * @param seed null when the client gave none (each request then samples with a fresh seed)
 */
public record CompletionRequest(
        String model,
        String prompt,
        List<Message> messages,
        Integer maxTokens,
        double temperature,
        double topP,
        Long seed,
        List<String> stop,
        boolean stream,
        boolean includeUsage) {

    /** OpenAI's completions default for max_tokens. */
    static final int COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

    private static final Set<String> COMMON = Set.of("model", "max_tokens", "temperature", "top_p", "seed", "stop",
            "stream", "stream_options", "n", "user", "presence_penalty", "frequency_penalty", "logprobs");
    private static final Set<String> COMPLETION_ONLY = Set.of("prompt", "echo", "best_of", "suffix");
    private static final Set<String> CHAT_ONLY = Set.of("messages", "max_completion_tokens", "top_logprobs");

    public boolean chat() {
        return messages != null;
    }

    static CompletionRequest parse(JsonNode body, boolean chat) {
        if (body == null || !body.isObject()) {
            throw ApiError.invalid(null, "the request body must be a JSON object");
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!COMMON.contains(f) && !(chat ? CHAT_ONLY : COMPLETION_ONLY).contains(f)) {
                throw ApiError.invalid(f, "unsupported parameter '" + f + "' (this server reads "
                        + "model, " + (chat ? "messages" : "prompt") + ", max_tokens, temperature, top_p, seed, stop, stream, stream_options)");
            }
        }
        String model = text(body, "model", true);
        requireDefault(body, "n", 1);
        requireDefault(body, "presence_penalty", 0);
        requireDefault(body, "frequency_penalty", 0);
        requireDefault(body, "best_of", 1);
        requireFalsy(body, "logprobs");
        requireFalsy(body, "echo");
        requireFalsy(body, "top_logprobs");
        if (body.has("suffix") && !body.get("suffix").isNull()) {
            throw ApiError.invalid("suffix", "'suffix' (insertion) is not supported");
        }
        String prompt = null;
        List<Message> messages = null;
        if (chat) {
            messages = messages(body.get("messages"));
        } else {
            prompt = prompt(body.get("prompt"));
        }
        Integer maxTokens = integer(body, "max_tokens");
        Integer maxCompletion = chat ? integer(body, "max_completion_tokens") : null;
        if (maxTokens != null && maxCompletion != null && !maxTokens.equals(maxCompletion)) {
            throw ApiError.invalid("max_completion_tokens", "max_tokens and max_completion_tokens disagree");
        }
        if (maxCompletion != null) {
            maxTokens = maxCompletion;
        }
        if (maxTokens == null && !chat) {
            maxTokens = COMPLETIONS_DEFAULT_MAX_TOKENS;
        }
        if (maxTokens != null && maxTokens < 1) {
            throw ApiError.invalid("max_tokens", "max_tokens must be at least 1, got " + maxTokens);
        }
        double temperature = number(body, "temperature", 1.0);
        if (temperature < 0 || temperature > 2) {
            throw ApiError.invalid("temperature", "temperature must be in [0, 2], got " + temperature);
        }
        double topP = number(body, "top_p", 1.0);
        if (topP <= 0 || topP > 1) {
            throw ApiError.invalid("top_p", "top_p must be in (0, 1], got " + topP);
        }
        Long seed = body.hasNonNull("seed") ? integral(body.get("seed"), "seed") : null;
        boolean stream = bool(body, "stream");
        boolean includeUsage = false;
        JsonNode options = body.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!stream) {
                throw ApiError.invalid("stream_options", "stream_options needs stream: true");
            }
            for (Iterator<String> it = options.fieldNames(); it.hasNext();) {
                String f = it.next();
                if (!f.equals("include_usage")) {
                    throw ApiError.invalid("stream_options." + f, "unsupported stream option '" + f + "'");
                }
            }
            includeUsage = bool(options, "include_usage");
        }
        return new CompletionRequest(model, prompt, messages, maxTokens, temperature, topP, seed, stops(body.get("stop")),
                stream, includeUsage);
    }

    private static List<Message> messages(JsonNode node) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw ApiError.invalid("messages", "'messages' must be a non-empty array of {role, content}");
        }
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject() || !m.path("role").isTextual()) {
                throw ApiError.invalid(where + ".role", where + " needs a string 'role'");
            }
            JsonNode content = m.get("content");
            String text;
            if (content != null && content.isTextual()) {
                text = content.asText();
            } else if (content != null && content.isArray()) {
                // content parts: only text parts can be read by a text model
                StringBuilder s = new StringBuilder();
                for (JsonNode part : content) {
                    if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                        throw ApiError.invalid(where + ".content", where + ": only text content parts are supported");
                    }
                    s.append(part.get("text").asText());
                }
                text = s.toString();
            } else {
                throw ApiError.invalid(where + ".content", where + " needs 'content' as a string or text parts");
            }
            for (Iterator<String> it = m.fieldNames(); it.hasNext();) {
                String f = it.next();
                if (!f.equals("role") && !f.equals("content")) {
                    throw ApiError.invalid(where + "." + f, where + ": unsupported field '" + f + "'");
                }
            }
            out.add(new Message(m.get("role").asText(), text));
        }
        return out;
    }

    private static String prompt(JsonNode node) {
        if (node != null && node.isTextual()) {
            return node.asText();
        }
        if (node != null && node.isArray() && node.size() == 1 && node.get(0).isTextual()) {
            return node.get(0).asText();
        }
        throw ApiError.invalid("prompt", "'prompt' must be a string (or an array of one string; send one request per prompt)");
    }

    private static List<String> stops(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (node.isTextual()) {
            out.add(node.asText());
        } else if (node.isArray() && node.size() <= 4) {
            node.forEach(s -> {
                if (!s.isTextual() || s.asText().isEmpty()) {
                    throw ApiError.invalid("stop", "'stop' entries must be non-empty strings");
                }
                out.add(s.asText());
            });
        } else {
            throw ApiError.invalid("stop", "'stop' must be a string or an array of up to 4 strings");
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw ApiError.invalid("stop", "'stop' must not be empty");
        }
        return out;
    }

    private static String text(JsonNode body, String field, boolean required) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                throw ApiError.invalid(field, "missing required parameter '" + field + "'");
            }
            return null;
        }
        if (!n.isTextual()) {
            throw ApiError.invalid(field, "'" + field + "' must be a string");
        }
        return n.asText();
    }

    private static Integer integer(JsonNode body, String field) {
        JsonNode n = body.get(field);
        return n == null || n.isNull() ? null : Math.toIntExact(integral(n, field));
    }

    private static long integral(JsonNode n, String field) {
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw ApiError.invalid(field, "'" + field + "' must be an integer");
        }
        long v = n.asLong();
        if (field.startsWith("max") && (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE)) {
            throw ApiError.invalid(field, "'" + field + "' is out of range");
        }
        return v;
    }

    private static double number(JsonNode body, String field, double fallback) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw ApiError.invalid(field, "'" + field + "' must be a number");
        }
        return n.asDouble();
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return false;
        }
        if (!n.isBoolean()) {
            throw ApiError.invalid(field, "'" + field + "' must be true or false");
        }
        return n.asBoolean();
    }

    private static void requireDefault(JsonNode body, String field, double only) {
        if (number(body, field, only) != only) {
            throw ApiError.invalid(field, "'" + field + "' other than " + (only == (long) only ? String.valueOf((long) only) : only)
                    + " is not supported");
        }
    }

    private static void requireFalsy(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n != null && !n.isNull() && !(n.isBoolean() && !n.asBoolean()) && !(n.isIntegralNumber() && n.asInt() == 0)) {
            throw ApiError.invalid(field, "'" + field + "' is not supported");
        }
    }
}
