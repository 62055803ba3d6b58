package dev.tunelab.data;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** A databricks-dolly-15k example; {@code context} and {@code category} may be "". */
public record DollyExample(String instruction, String context, String response, String category)
        implements Example {
    public DollyExample {
        Objects.requireNonNull(instruction, "instruction");
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(category, "category");
    }

    /** The same example in Alpaca's shape (context becomes input), for code written for Alpaca. */
    public AlpacaExample toAlpaca() {
        return new AlpacaExample(instruction, context, response);
    }

    @Override
    public String text() {
        return context.isEmpty() ? instruction + "\n\n" + response : instruction + "\n\n" + context + "\n\n" + response;
    }

    @Override
    public Map<String, String> columns() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("instruction", instruction);
        m.put("context", context);
        m.put("response", response);
        m.put("category", category);
        return m;
    }
}
