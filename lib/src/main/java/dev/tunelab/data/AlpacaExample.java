package dev.tunelab.data;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** An Alpaca instruction example; {@code input} is "" when the instruction stands alone. */
public record AlpacaExample(String instruction, String input, String output) implements Example {
    public AlpacaExample {
        Objects.requireNonNull(instruction, "instruction");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
    }

    public boolean hasInput() {
        return !input.isEmpty();
    }

    @Override
    public String text() {
        return hasInput() ? instruction + "\n\n" + input + "\n\n" + output : instruction + "\n\n" + output;
    }

    @Override
    public Map<String, String> columns() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("instruction", instruction);
        m.put("input", input);
        m.put("output", output);
        return m;
    }
}
