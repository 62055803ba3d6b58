package dev.tunelab.serve;

import dev.tunelab.track.Run;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes every response of a server to a run of the run store, one history row per response
 * (step = its order): request id, the model asked for and the one that answered, prompt and text,
 * token counts, finish reason, latency, time to first token and queue wait. {@link AbComparison}
 * reads the rows back. Register it with {@code server.onCompleted(log)}.
 */
public final class ResponseLog implements Consumer<Completed> {
    private final Run run;
    private long step;

    public ResponseLog(Run run) {
        this.run = run;
    }

    public Run run() {
        return run;
    }

    @Override
    public synchronized void accept(Completed c) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("request_id", c.requestId());
        row.put("requested", c.requested());
        row.put("model", c.model());
        row.put("endpoint", c.chat() ? "chat" : "completions");
        row.put("stream", c.stream());
        row.put("prompt", c.prompt());
        row.put("text", c.text());
        row.put("prompt_tokens", c.promptTokens());
        row.put("completion_tokens", c.completionTokens());
        row.put("finish_reason", c.finishReason());
        row.put("latency_ms", c.latencyMs());
        row.put("first_token_ms", Double.isNaN(c.firstTokenMs()) ? null : c.firstTokenMs());
        row.put("queue_ms", c.queueMs());
        run.log(step++, row);
    }
}
