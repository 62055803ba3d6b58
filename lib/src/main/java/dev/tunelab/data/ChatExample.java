package dev.tunelab.data;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/** A conversation: {@code messages: [{role, content}, ...]}. */
public record ChatExample(List<Message> messages) implements Example {

    /** One turn; role is whatever the file says ("system", "user", "assistant", ...). */
    public record Message(String role, String content) {
        public Message {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(content, "content");
        }
    }

    public ChatExample {
        messages = List.copyOf(messages);
    }

    @Override
    public String text() {
        return messages.stream().map(m -> m.role() + ": " + m.content()).collect(Collectors.joining("\n"));
    }

    @Override
    public Map<String, String> columns() {
        return Map.of("messages", text());
    }
}
