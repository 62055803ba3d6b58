package dev.tunelab.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * What the quality checks and the cleaning steps need to know of each example type: its text
 * fields by name (a chat's turns as {@code messages[i].content}), which of them may be empty,
 * which one is the response, how to rewrite its text (PII masking), and its JSON object (the
 * same fields its {@link Format} reads, so a written file loads back).
 */
final class ExampleFields {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ExampleFields() {}

    /** The text fields, in display order. */
    static Map<String, String> of(Example e) {
        if (e instanceof ChatExample c) {
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i < c.messages().size(); i++) m.put("messages[" + i + "].content", c.messages().get(i).content());
            return m;
        }
        return e.columns();
    }

    /** Fields whose emptiness is normal (Alpaca's input, Dolly's context and category). */
    static Set<String> optional(Example e) {
        if (e instanceof AlpacaExample) return Set.of("input");
        if (e instanceof DollyExample) return Set.of("context", "category");
        if (e instanceof ChatExample c) {
            Set<String> s = new java.util.HashSet<>();
            for (int i = 0; i < c.messages().size(); i++) if (c.messages().get(i).role().equals("system")) s.add("messages[" + i + "].content");
            return s;
        }
        return Set.of();
    }

    /** The responses a model learns to write: Alpaca's output, Dolly's response, the assistant turns, both completions. */
    static Map<String, String> responses(Example e) {
        if (e instanceof AlpacaExample a) return Map.of("output", a.output());
        if (e instanceof DollyExample d) return Map.of("response", d.response());
        if (e instanceof PreferenceExample p) return Map.of("chosen", p.chosen(), "rejected", p.rejected());
        if (e instanceof ChatExample c) {
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i < c.messages().size(); i++) {
                if (c.messages().get(i).role().equals("assistant")) m.put("messages[" + i + "].content", c.messages().get(i).content());
            }
            return m;
        }
        if (e instanceof TextDocument t) return Map.of("text", t.text());
        Map<String, String> all = e.columns();
        return all.isEmpty() ? Map.of() : Map.of(last(all), all.get(last(all)));
    }

    private static String last(Map<String, String> m) {
        String k = null;
        for (String s : m.keySet()) k = s;
        return k;
    }

    /** The same example with {@code f} applied to every text field. */
    @SuppressWarnings("unchecked")
    static <T extends Example> T mapText(T e, UnaryOperator<String> f) {
        Example out;
        if (e instanceof AlpacaExample a) {
            out = new AlpacaExample(f.apply(a.instruction()), f.apply(a.input()), f.apply(a.output()));
        } else if (e instanceof DollyExample d) {
            out = new DollyExample(f.apply(d.instruction()), f.apply(d.context()), f.apply(d.response()), d.category());
        } else if (e instanceof PreferenceExample p) {
            out = new PreferenceExample(f.apply(p.prompt()), f.apply(p.chosen()), f.apply(p.rejected()));
        } else if (e instanceof ChatExample c) {
            List<ChatExample.Message> m = new ArrayList<>();
            for (ChatExample.Message x : c.messages()) m.add(new ChatExample.Message(x.role(), f.apply(x.content())));
            out = new ChatExample(m);
        } else if (e instanceof TextDocument t) {
            out = new TextDocument(f.apply(t.text()));
        } else if (e instanceof Row r) {
            Map<String, String> m = new LinkedHashMap<>();
            r.columns().forEach((k, v) -> m.put(k, f.apply(v)));
            out = new Row(m);
        } else {
            throw new IllegalArgumentException("cannot rewrite the text of a " + e.getClass().getSimpleName()
                    + " (tunelab knows Alpaca, Dolly, chat, preference, text and Row examples); drop such rows instead");
        }
        return (T) out;
    }

    /** The example as the JSON object its format reads back. */
    static ObjectNode json(Example e) {
        ObjectNode o = JSON.createObjectNode();
        if (e instanceof ChatExample c) {
            ArrayNode a = o.putArray("messages");
            for (ChatExample.Message m : c.messages()) a.addObject().put("role", m.role()).put("content", m.content());
        } else {
            e.columns().forEach(o::put);
        }
        return o;
    }
}
