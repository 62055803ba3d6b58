package dev.tunelab.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Turns tokens arriving one by one into text deltas safe to send: the text decoded so far, minus
 * what was sent, minus a tail that may still change. Two tails are held back: U+FFFD at the end
 * (a byte-level token that splits a UTF-8 character decodes to the replacement character until
 * the rest arrives), and the longest end of the text that starts a stop string (the generator
 * cuts the text before a stop string, so its first characters must not go out early).
 */
final class TextStream {
    private final Function<long[], String> decoder;
    private final List<String> stops;
    private final List<Long> tokens = new ArrayList<>();
    private String sent = "";

    TextStream(Function<long[], String> decoder, List<String> stops) {
        this.decoder = decoder;
        this.stops = List.copyOf(stops);
    }

    /** The new text this token makes safe to send ("" when nothing is yet). */
    String add(long token) {
        tokens.add(token);
        String text = decoder.apply(tokens.stream().mapToLong(Long::longValue).toArray());
        return advance(text, safeEnd(text));
    }

    /** The rest of the final text (the generator's, already cut at a stop string). */
    String finish(String finalText) {
        return advance(finalText, finalText.length());
    }

    /** Everything sent so far. */
    String sent() {
        return sent;
    }

    private String advance(String text, int end) {
        // A decoder whose output for more tokens does not extend the text so far cannot be
        // streamed exactly; send nothing until it does (the final text still arrives whole if it does then).
        if (end <= sent.length() || !text.startsWith(sent)) {
            return "";
        }
        String delta = text.substring(sent.length(), end);
        sent = text.substring(0, end);
        return delta;
    }

    private int safeEnd(String text) {
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\uFFFD') {
            end--;
        }
        int safe = end;
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, end); k > 0; k--) {
                if (text.regionMatches(end - k, stop, 0, k)) {
                    safe = Math.min(safe, end - k);
                    break;
                }
            }
        }
        return safe;
    }
}
