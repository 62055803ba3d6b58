package dev.tunelab.train;

import dev.tunelab.io.JinjaChatTemplate;
import dev.tunelab.train.ChatTemplate.Message;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which characters of a conversation, as a model's chat template writes it, are the assistant's:
 * the text the model must learn to write, for SFT with the loss on assistant turns only (TRL's
 * {@code assistant_only_loss}).
 *
 * <p>How: the conversation is rendered twice, once as it is and once with every assistant message's
 * content replaced by a unique marker (a private-use character, a number, another private-use
 * character: no whitespace, so {@code trim} and {@code strip()} leave it alone). Cut at the
 * markers, the second rendering gives the template's own text around each assistant message; the
 * first rendering must be exactly that text with each message's content, as written or stripped of
 * whitespace, in place of its marker, and this is checked piece by piece to the last character. The
 * span of a message is its content in the first rendering plus, when the template's text right
 * after it starts with a special token (ChatML's {@code <|im_end|>}, Llama 3's {@code <|eot_id|>},
 * Mistral's {@code </s>}), that token, so the model learns to end its turn.
 *
 * <p>Why this and not rendering growing prefixes of the conversation and diffing: it needs no
 * assumption that a conversation's text starts with the text of its first messages, which real
 * templates break (Mistral v0.3 moves the system prompt into the last user turn, Llama 3.1 with
 * tools moves the first user message, Qwen3 drops the reasoning of earlier turns), and it finds
 * exactly the characters that came from the assistant, not whatever else a template writes after
 * a turn. What it cannot handle fails loudly, naming the message: a template that writes an
 * assistant message twice or not at all, or that writes something else around it when its content
 * changes (a template branching on the content's text).
 */
final class AssistantSpans {
    private AssistantSpans() {}

    /** A [start, end) range of characters. */
    record Span(int start, int end) {}

    /** The conversation as the template writes it, and the character spans to train on, in order. */
    record Rendered(String text, List<Span> trained) {}

    private static final char OPEN = '\uE000';
    private static final char CLOSE = '\uE001';

    static Rendered find(JinjaChatTemplate template, List<Message> messages, Set<String> trainedRoles,
            List<String> specialTokens) {
        String text = template.render(asMaps(messages, null), false);
        List<Integer> trained = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (trainedRoles.contains(messages.get(i).role())) {
                trained.add(i);
            }
        }
        if (trained.isEmpty()) {
            return new Rendered(text, List.of());
        }
        if (text.indexOf(OPEN) >= 0 || text.indexOf(CLOSE) >= 0) {
            throw new IllegalArgumentException("the conversation contains the private-use characters U+E000/U+E001,"
                    + " which mark the assistant messages while the chat template renders them");
        }
        String marked = template.render(asMaps(messages, trained), false);
        List<String> pieces = new ArrayList<>(); // the template's text before, between and after the markers
        int from = 0;
        for (int k : trained) {
            String m = marker(k);
            int at = marked.indexOf(m);
            if (at < 0 || marked.indexOf(m, at + 1) >= 0 || at < from) {
                throw cannot(k, "the template writes its content " + (at < 0 ? "nowhere" : "more than once or out of order"));
            }
            pieces.add(marked.substring(from, at));
            from = at + m.length();
        }
        pieces.add(marked.substring(from));

        List<Span> spans = new ArrayList<>();
        int pos = 0;
        for (int j = 0; j < trained.size(); j++) {
            int k = trained.get(j);
            String before = pieces.get(j);
            String after = pieces.get(j + 1);
            boolean last = j == trained.size() - 1;
            if (!text.startsWith(before, pos)) {
                throw cannot(k, "the template writes different text around it when the content changes");
            }
            int start = pos + before.length();
            int end = -1;
            for (String written : writtenForms(messages.get(k).content())) {
                int e = start + written.length();
                boolean fits = text.startsWith(written, start)
                        && (last ? text.length() == e + after.length() && text.endsWith(after) : text.startsWith(after, e));
                if (fits) {
                    end = e;
                    break;
                }
            }
            if (end < 0) {
                throw cannot(k, "its content is not in the rendered text as written nor stripped of whitespace");
            }
            spans.add(new Span(start, end + endOfTurn(text, end, specialTokens).length()));
            pos = end;
        }
        return new Rendered(text, spans);
    }

    /** The special token the template writes right after position {@code at} (the longest that fits), or "". */
    static String endOfTurn(String text, int at, List<String> specialTokens) {
        String best = "";
        for (String t : specialTokens) {
            if (t.length() > best.length() && text.startsWith(t, at)) {
                best = t;
            }
        }
        return best;
    }

    /** The message's content as templates write it: verbatim, or stripped (Python's strip/trim). */
    private static Set<String> writtenForms(String content) {
        Set<String> forms = new LinkedHashSet<>();
        forms.add(content);
        forms.add(strip(content, true, true));
        forms.add(strip(content, false, true));
        forms.add(strip(content, true, false));
        return forms;
    }

    // Python's str.strip/lstrip/rstrip whitespace: Character.isWhitespace plus the no-break spaces
    private static String strip(String s, boolean left, boolean right) {
        int i = 0;
        int j = s.length();
        while (left && i < j && isSpace(s.charAt(i))) {
            i++;
        }
        while (right && j > i && isSpace(s.charAt(j - 1))) {
            j--;
        }
        return s.substring(i, j);
    }

    private static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    static String marker(int message) {
        return OPEN + Integer.toString(message) + CLOSE;
    }

    /** The messages as the template reads them; those listed in {@code marked} get their marker as content. */
    static List<Map<String, Object>> asMaps(List<Message> messages, List<Integer> marked) {
        List<Map<String, Object>> out = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            String content = marked != null && marked.contains(i) ? marker(i) : m.content();
            out.add(Map.of("role", m.role(), "content", content));
        }
        return out;
    }

    private static IllegalArgumentException cannot(int message, String why) {
        return new IllegalArgumentException("cannot find the text of message " + message
                + " in the conversation as the chat template writes it, so its tokens cannot be marked for training: " + why);
    }
}
