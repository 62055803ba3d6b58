package dev.tunelab.data;

/**
 * Whether a response looks cut off: it ends with a character that does not end text ({@code ,}
 * {@code :} {@code ;} {@code (} {@code -}), or inside a Markdown code block ({@code ```} an odd
 * number of times). Written for tunelab; a generator stopped by a token limit leaves such ends,
 * while a finished answer ends with a full stop, a closing bracket, a list item or a word.
 */
final class Truncation {
    private Truncation() {}

    /** Why {@code response} looks cut off, or null. */
    static String problem(String response) {
        String s = response.strip();
        if (s.isEmpty()) return null; // the empty-field check counts it
        int fences = 0;
        for (int i = s.indexOf("```"); i >= 0; i = s.indexOf("```", i + 3)) fences++;
        if (fences % 2 == 1) return "ends inside an unclosed ``` block";
        char last = s.charAt(s.length() - 1);
        if (",:;(-".indexOf(last) >= 0) return "ends with '" + last + "'";
        return null;
    }
}
