package dev.tunelab.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How one JSON object becomes an example. The formats tunelab knows are constants here; a
 * file with other field names is read through {@link LoadOptions#map(String, String)}.
 */
@FunctionalInterface
public interface Format<T extends Example> {

    /** Reads one object; throws {@link Fields.BadField} for a missing or mistyped field. */
    T read(Fields fields);

    /** Alpaca: {@code instruction}, {@code output} required; {@code input} optional. */
    Format<AlpacaExample> ALPACA = f -> new AlpacaExample(
            f.string("instruction"), f.optionalString("input"), f.string("output"));

    /** Dolly: {@code instruction}, {@code response} required; {@code context}, {@code category} optional. */
    Format<DollyExample> DOLLY = f -> new DollyExample(
            f.string("instruction"), f.optionalString("context"), f.string("response"), f.optionalString("category"));

    /**
     * Chat: {@code messages}, a non-empty list of {@code {role, content}} objects. A row without
     * {@code messages} but with {@code prompt} and {@code completion} message lists (TRL's
     * conversational prompt-completion format) is the prompt's messages followed by the
     * completion's.
     */
    Format<ChatExample> CHAT = f -> {
        if (!f.has("messages") && f.value("prompt") != null && f.value("prompt").isArray() && f.has("completion")) {
            List<ChatExample.Message> all = new ArrayList<>(Formats.messages(f, "prompt"));
            all.addAll(Formats.messages(f, "completion"));
            return new ChatExample(all);
        }
        return new ChatExample(Formats.messages(f, "messages"));
    };

    /**
     * Prompt-completion (TRL's standard format): {@code prompt} and {@code completion} strings,
     * read as an Alpaca example with no input (instruction = prompt, output = completion), so
     * everything written for Alpaca trains on it.
     */
    Format<AlpacaExample> PROMPT_COMPLETION = f -> new AlpacaExample(f.string("prompt"), "", f.string("completion"));

    /**
     * Preference: {@code prompt}, {@code chosen}, {@code rejected}. The completions are strings
     * or, as in UltraFeedback's binarized export and TRL's conversational data sets, message
     * lists whose last message (role assistant) is the completion. The prompt is a string or a
     * message list; without a {@code prompt} column (TRL's implicit prompt) it is the messages
     * before the last that {@code chosen} and {@code rejected} share, and a row where they
     * differ is a bad row. A prompt of one user message is its content; a longer one is its
     * turns as {@code "role: content"} lines (see {@link Formats#promptText}).
     */
    Format<PreferenceExample> PREFERENCE = Formats::preference;

    /**
     * Anthropic HH-RLHF: {@code chosen} and {@code rejected} are whole dialogues
     * ({@code "\n\nHuman: ... \n\nAssistant: ..."}); the prompt is the text up to and including
     * the last {@code "\n\nAssistant:"}, which both must share (a row where they differ before
     * it is a bad row).
     */
    Format<PreferenceExample> HH_RLHF = Formats::hhRlhf;

    /** Any object: every field as a string (non-strings as their JSON text). */
    Format<Row> ROW = f -> {
        Map<String, String> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = f.node().fields(); it.hasNext(); ) {
            var e = it.next();
            m.put(e.getKey(), e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString());
        }
        return new Row(m);
    };
}

/** The longer readers behind {@link Format}'s constants. */
final class Formats {
    static final String ASSISTANT_TURN = "\n\nAssistant:";

    private Formats() {}

    static List<ChatExample.Message> messages(Fields f, String name) {
        JsonNode array = f.array(name);
        List<ChatExample.Message> out = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            Fields m = f.element(name, array, i);
            String role = m.string("role");
            if (role.isBlank()) throw m.bad("role", "is empty");
            out.add(new ChatExample.Message(role, m.string("content")));
        }
        return out;
    }

    static PreferenceExample preference(Fields f) {
        String chosen = completion(f, "chosen");
        String rejected = completion(f, "rejected");
        JsonNode p = f.value("prompt");
        if (p != null && p.isArray()) return new PreferenceExample(promptText(messages(f, "prompt")), chosen, rejected);
        if (p != null || !(f.value("chosen").isArray() && f.value("rejected").isArray())) {
            return new PreferenceExample(f.string("prompt"), chosen, rejected);
        }
        // Implicit prompt: the turns before the last, which both conversations must share.
        List<ChatExample.Message> c = messages(f, "chosen");
        List<ChatExample.Message> r = messages(f, "rejected");
        List<ChatExample.Message> prompt = c.subList(0, c.size() - 1);
        if (prompt.isEmpty()) throw f.bad("chosen", "no prompt column and no turn before the assistant's completion");
        if (!prompt.equals(r.subList(0, r.size() - 1))) {
            throw f.bad("rejected", "no prompt column, and chosen and rejected differ before their last message "
                    + "(the implicit prompt is the turns they share)");
        }
        return new PreferenceExample(promptText(prompt), chosen, rejected);
    }

    /** One user message: its content; several turns: {@code "role: content"} lines. */
    static String promptText(List<ChatExample.Message> turns) {
        if (turns.size() == 1 && turns.get(0).role().equals("user")) return turns.get(0).content();
        StringBuilder s = new StringBuilder();
        for (ChatExample.Message m : turns) s.append(m.role()).append(": ").append(m.content()).append('\n');
        return s.toString();
    }

    static String completion(Fields f, String name) {
        JsonNode v = f.value(name);
        if (v != null && v.isArray()) {
            List<ChatExample.Message> turns = messages(f, name);
            ChatExample.Message last = turns.get(turns.size() - 1);
            if (!last.role().equals("assistant")) {
                throw new Fields.BadField(f.label(name) + "[" + (turns.size() - 1) + "].role",
                        "the last message must be the assistant's completion, got role \"" + last.role() + "\"");
            }
            return last.content();
        }
        return f.string(name);
    }

    static PreferenceExample hhRlhf(Fields f) {
        String chosen = f.string("chosen");
        String rejected = f.string("rejected");
        int c = chosen.lastIndexOf(ASSISTANT_TURN);
        if (c < 0) throw f.bad("chosen", "no \"\\n\\nAssistant:\" turn in the dialogue");
        int r = rejected.lastIndexOf(ASSISTANT_TURN);
        if (r < 0) throw f.bad("rejected", "no \"\\n\\nAssistant:\" turn in the dialogue");
        String prompt = chosen.substring(0, c + ASSISTANT_TURN.length());
        String other = rejected.substring(0, r + ASSISTANT_TURN.length());
        if (!prompt.equals(other)) {
            int at = 0;
            while (at < Math.min(prompt.length(), other.length()) && prompt.charAt(at) == other.charAt(at)) at++;
            throw f.bad("rejected", "chosen and rejected do not share the prompt (the text up to their last "
                    + "\"\\n\\nAssistant:\", " + prompt.length() + " and " + other.length()
                    + " characters): they differ from character " + at);
        }
        return new PreferenceExample(prompt, chosen.substring(prompt.length()), rejected.substring(prompt.length()));
    }
}
