package dev.tunelab.serve;

/**
 * What the server did for one request, handed to its listeners when the request ends (the A/B
 * log writes one to the run store per response).
 *
 * @param requestId the id sent back to the client ({@code cmpl-...}, {@code chatcmpl-...})
 * @param requested the model name the client asked for (an A/B test's name, or a served model)
 * @param model the served model that answered
 * @param prompt the completion prompt, or the last user message of a chat
 * @param text the text sent back
 * @param finishReason OpenAI's: "stop", "length"; or "cancelled" when the client went away
 * @param latencyMs from the request's arrival to its last token
 * @param firstTokenMs from arrival to the first token (NaN when none came)
 * @param queueMs of the latency, the time spent waiting for earlier requests
 */
public record Completed(
        String requestId,
        String requested,
        String model,
        boolean chat,
        boolean stream,
        String prompt,
        String text,
        int promptTokens,
        int completionTokens,
        String finishReason,
        double latencyMs,
        double firstTokenMs,
        double queueMs) {}
