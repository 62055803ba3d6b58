package dev.tunelab.data;

import java.nio.file.Path;
import java.util.List;

/**
 * Entry point for notebooks: read a file in a known format, or a public data set from the
 * {@link Catalog} (downloaded from the Hugging Face Hub on first use, or read from the local
 * mirror named by {@code TUNELAB_DATA}).
 *
 * <p>Loading is strict unless asked otherwise: the first bad row stops it with an error naming
 * the file, line and field. With {@link LoadOptions#skipBadRows()} the good rows load and
 * {@link Dataset#report()} says how many were skipped and why. JSON files may hold an array of
 * objects or one object a line (JSON Lines); the loader looks at the first character. Files
 * whose name ends in {@code .gz} are decompressed on the fly.
 */
public final class Datasets {
    private Datasets() {}

    // ------------------------------------------------------------------ files

    /** Documents separated by blank lines. */
    public static Dataset<TextDocument> text(Path file) {
        return Loader.text(file, null, Loader.Tail.KEEP, LoadOptions.strict());
    }

    /** Documents separated by {@code delimiter} (for example {@code "<|endoftext|>"}); all kept. */
    public static Dataset<TextDocument> text(Path file, String delimiter) {
        return text(file, delimiter, false);
    }

    /**
     * Documents separated by {@code delimiter}. With {@code dropCutOffTail} the text after the
     * last delimiter is taken for a document cut off by the end of the file (a byte-range
     * sample) and dropped, with a note in the report.
     */
    public static Dataset<TextDocument> text(Path file, String delimiter, boolean dropCutOffTail) {
        return Loader.text(file, delimiter, dropCutOffTail ? Loader.Tail.DROP : Loader.Tail.KEEP, LoadOptions.strict());
    }

    /** Any JSON array or JSON Lines file in {@code format}. */
    public static <T extends Example> Dataset<T> json(Path file, Format<T> format, LoadOptions options) {
        return Loader.json(file, format, options);
    }

    /** Same as {@link #json(Path, Format, LoadOptions)}; the layout is detected either way. */
    public static <T extends Example> Dataset<T> jsonl(Path file, Format<T> format, LoadOptions options) {
        return Loader.json(file, format, options);
    }

    /** Every object of a JSON or JSON Lines file as a {@link Row} of strings. */
    public static Dataset<Row> json(Path file) {
        return Loader.json(file, Format.ROW, LoadOptions.strict());
    }

    public static Dataset<AlpacaExample> alpaca(Path file) {
        return alpaca(file, LoadOptions.strict());
    }

    public static Dataset<AlpacaExample> alpaca(Path file, LoadOptions options) {
        return Loader.json(file, Format.ALPACA, options);
    }

    public static Dataset<DollyExample> dolly(Path file) {
        return dolly(file, LoadOptions.strict());
    }

    public static Dataset<DollyExample> dolly(Path file, LoadOptions options) {
        return Loader.json(file, Format.DOLLY, options);
    }

    public static Dataset<ChatExample> chat(Path file) {
        return chat(file, LoadOptions.strict());
    }

    public static Dataset<ChatExample> chat(Path file, LoadOptions options) {
        return Loader.json(file, Format.CHAT, options);
    }

    /** Explicit {@code prompt}/{@code chosen}/{@code rejected} rows. */
    public static Dataset<PreferenceExample> preference(Path file) {
        return preference(file, LoadOptions.strict());
    }

    public static Dataset<PreferenceExample> preference(Path file, LoadOptions options) {
        return Loader.json(file, Format.PREFERENCE, options);
    }

    /** HH-RLHF's whole dialogues, split into prompt and completions (see {@link Format#HH_RLHF}). */
    public static Dataset<PreferenceExample> hhRlhf(Path file) {
        return hhRlhf(file, LoadOptions.strict());
    }

    public static Dataset<PreferenceExample> hhRlhf(Path file, LoadOptions options) {
        return Loader.json(file, Format.HH_RLHF, options);
    }

    /**
     * A Parquet file, or the shards of one split, in {@code format} (nested columns such as a
     * {@code messages} list of structs are read as JSON would be). See {@link Parquet#stream}
     * to read a large file a row at a time.
     */
    public static <T extends Example> Dataset<T> parquet(Path file, Format<T> format) {
        return Parquet.read(file, format, LoadOptions.strict());
    }

    public static <T extends Example> Dataset<T> parquet(List<Path> shards, Format<T> format, LoadOptions options) {
        return Parquet.read(shards, format, options);
    }

    /** Every row of a Parquet file as a {@link Row} of strings (nested values as JSON). */
    public static Dataset<Row> parquet(Path file) {
        return Parquet.read(file, Format.ROW, LoadOptions.strict());
    }

    /** A {@code term<TAB>score} sentiment lexicon such as AFINN. */
    public static Lexicon lexicon(Path file) {
        return Lexicon.load(file);
    }

    // ------------------------------------------------------------------ public catalog

    /** TinyStories training stories; see {@link Catalog#tinyStories(String)}. */
    public static Dataset<TextDocument> tinyStories() {
        return Catalog.standard().tinyStories("train");
    }

    public static Dataset<TextDocument> tinyStories(String split) {
        return Catalog.standard().tinyStories(split);
    }

    public static Dataset<AlpacaExample> alpaca() {
        return Catalog.standard().alpaca(LoadOptions.strict());
    }

    public static Dataset<DollyExample> dolly() {
        return Catalog.standard().dolly(LoadOptions.strict());
    }

    /** HH-RLHF helpful-base test, bad rows skipped (9 of its 2,354 rows do not share a prompt). */
    public static Dataset<PreferenceExample> hhRlhf() {
        return Catalog.standard().hhRlhf("helpful-base", "test", LoadOptions.skipBadRows());
    }

    public static Dataset<PreferenceExample> hhRlhf(String subset, String split, LoadOptions options) {
        return Catalog.standard().hhRlhf(subset, split, options);
    }

    public static Dataset<PreferenceExample> ultraFeedback() {
        return Catalog.standard().ultraFeedback("train_prefs", LoadOptions.strict());
    }

    public static Lexicon afinn() {
        return Catalog.standard().afinn();
    }

    /**
     * {@code split} of any Hub data set published as Parquet (its {@code data/} files, else the
     * Hub's {@code refs/convert/parquet} conversion), from the mirror when {@code TUNELAB_DATA}
     * names one: {@code Datasets.hub("trl-lib/ultrafeedback_binarized", "train", Format.PREFERENCE)}.
     */
    public static <T extends Example> Dataset<T> hub(String repo, String split, Format<T> format) {
        return Catalog.standard().parquet(repo, split, format, LoadOptions.strict());
    }
}
