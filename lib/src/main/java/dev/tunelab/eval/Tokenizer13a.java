package dev.tunelab.eval;

import java.util.List;
import java.util.regex.Pattern;

/**
 * sacreBLEU's default tokenizer, "13a": the tokenization of WMT's mteval-v13a.pl (sacrebleu
 * {@code tokenizers/tokenizer_13a.py} and {@code tokenizer_re.py}). Punctuation and symbols
 * become tokens of their own; a period or comma stays inside a number ("3.5", "1,000"); a dash
 * after a digit is split off.
 */
public final class Tokenizer13a {
    // The character class of tokenizer_re.py: { to ~, [ to `, space to &, ( to +, : to @, and /.
    private static final Pattern SYMBOL = Pattern.compile("([{-~\\[-` -&(-+:-@/])");
    private static final Pattern PERIOD_COMMA_AFTER_NON_DIGIT = Pattern.compile("([^0-9])([.,])");
    private static final Pattern PERIOD_COMMA_BEFORE_NON_DIGIT = Pattern.compile("([.,])([^0-9])");
    private static final Pattern DASH_AFTER_DIGIT = Pattern.compile("([0-9])(-)");

    private Tokenizer13a() {}

    /** The tokens of one segment (sacreBLEU strips trailing whitespace first, as here). */
    public static List<String> tokenize(String segment) {
        String line = Text.stripTrailing(segment);
        line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ");
        line = line.replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
        line = " " + line + " ";
        line = SYMBOL.matcher(line).replaceAll(" $1 ");
        line = PERIOD_COMMA_AFTER_NON_DIGIT.matcher(line).replaceAll("$1 $2 ");
        line = PERIOD_COMMA_BEFORE_NON_DIGIT.matcher(line).replaceAll(" $1 $2");
        line = DASH_AFTER_DIGIT.matcher(line).replaceAll("$1 $2 ");
        return Text.split(line);
    }

    /** The tokenized segment joined by single spaces, as sacreBLEU's tokenizer returns it. */
    public static String tokenizeToString(String segment) {
        return String.join(" ", tokenize(segment));
    }
}
