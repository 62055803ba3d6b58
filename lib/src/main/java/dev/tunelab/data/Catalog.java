package dev.tunelab.data;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import dev.tunelab.io.Hub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The public data sets tunelab's notebooks use, each with its Hugging Face Hub repository and
 * files, and the file of the local mirror that stands in for it. {@link #standard()} reads the
 * mirror when {@code TUNELAB_DATA} names one and downloads through {@link Hub} otherwise.
 *
 * <p>Mirror layout (paths under {@code TUNELAB_DATA}): {@code tinystories/*.txt},
 * {@code instruct/alpaca_gpt4_en_sample.json}, {@code preference/hh-rlhf_helpful-base_test.jsonl},
 * {@code lexicon/AFINN-*.txt}; optionally {@code instruct/databricks-dolly-15k.jsonl} and
 * {@code preference/ultrafeedback_binarized_<split>.jsonl} where someone put them there; and
 * {@code hub/<org>/<name>/} holding a Hub repository's Parquet files under the paths they have in
 * the repository, for {@link #parquet}.
 *
 * <p>Any data set the Hub publishes as Parquet (most of them: the Hub converts every data set to
 * Parquet on its {@code refs/convert/parquet} branch) is read with {@link #parquet}; see
 * {@link HubLayout} for how a split's files are found.
 */
public final class Catalog implements Renderable {

    /**
     * One public data set.
     *
     * @param hubFiles split to file in the Hub repository ({@code {subset}} and {@code {split}}
     *     are filled in for HH-RLHF); empty when the Hub has no file tunelab can read
     * @param mirrorFiles split to files under the mirror folder
     */
    public record Entry(String name, String repo, String format, Map<String, String> hubFiles,
            Map<String, List<String>> mirrorFiles, String license, String note) {}

    public static final Entry TINY_STORIES = new Entry("TinyStories", "roneneldan/TinyStories",
            "text, stories separated by <|endoftext|> lines",
            Map.of("train", "TinyStories-train.txt", "validation", "TinyStories-valid.txt"),
            Map.of("train", List.of("tinystories/tinystories_train_head_2MiB.txt", "tinystories/tinystories_train_sample_1727.txt"),
                    "validation", List.of("tinystories/tinystories_validation_head.txt")),
            "CDLA-Sharing-1.0",
            "The Hub train file is about 1.9 GB and is read whole into memory. The mirror's train files are byte-range "
                    + "samples: the story cut off at the end of each is dropped. Its validation slice has no separators, "
                    + "so its documents are blank-line paragraphs.");

    public static final Entry ALPACA = new Entry("Alpaca", "yahma/alpaca-cleaned",
            "JSON array of {instruction, input, output}",
            Map.of("train", "alpaca_data_cleaned.json"),
            Map.of("train", List.of("instruct/alpaca_gpt4_en_sample.json")),
            "CC BY-NC 4.0",
            "The download is the cleaned Alpaca JSON of yahma/alpaca-cleaned (same fields). The original tatsu-lab/alpaca "
                    + "and vicgalle/alpaca-gpt4 are Parquet: Datasets.hub(\"vicgalle/alpaca-gpt4\", \"train\", Format.ALPACA). "
                    + "The mirror holds a 999-row Alpaca-GPT4 sample.");

    public static final Entry DOLLY = new Entry("Dolly-15k", "databricks/databricks-dolly-15k",
            "JSON Lines of {instruction, context, response, category}",
            Map.of("train", "databricks-dolly-15k.jsonl"),
            Map.of("train", List.of("instruct/databricks-dolly-15k.jsonl")),
            "CC BY-SA 3.0",
            "The shared mirror has no Dolly file (only Git LFS pointers could be found).");

    public static final Entry HH_RLHF = new Entry("HH-RLHF", "Anthropic/hh-rlhf",
            "gzipped JSON Lines of {chosen, rejected} whole dialogues",
            Map.of("train", "{subset}/train.jsonl.gz", "test", "{subset}/test.jsonl.gz"),
            Map.of("helpful-base/test", List.of("preference/hh-rlhf_helpful-base_test.jsonl")),
            "MIT",
            "Subsets: helpful-base, helpful-online, helpful-rejection-sampled, harmless-base. The prompt is the text up to "
                    + "the last \"\\n\\nAssistant:\"; rows whose two dialogues differ before it are bad rows "
                    + "(9 of the 2,354 in helpful-base/test).");

    public static final Entry ULTRA_FEEDBACK = new Entry("UltraFeedback (binarized)", "HuggingFaceH4/ultrafeedback_binarized",
            "Parquet of {prompt, chosen, rejected} (completions as message lists); JSON Lines in a mirror",
            Map.of("train_prefs", "data/train_prefs-*.parquet", "test_prefs", "data/test_prefs-*.parquet"),
            Map.of("train_prefs", List.of("preference/ultrafeedback_binarized_train_prefs.jsonl"),
                    "test_prefs", List.of("preference/ultrafeedback_binarized_test_prefs.jsonl")),
            "MIT",
            "Published as Parquet, read from the Hub's data/ files (a mirror may hold a JSON Lines copy of a split, or "
                    + "the Parquet files under hub/HuggingFaceH4/ultrafeedback_binarized/); chosen/rejected message lists "
                    + "are read as their last assistant message.");

    public static final Entry AFINN = new Entry("AFINN", "(not on the Hub: fnielsen/afinn on GitHub)",
            "term<TAB>score lines", Map.of(),
            Map.of("en-165", List.of("lexicon/AFINN-en-165.txt"), "111", List.of("lexicon/AFINN-111.txt")),
            "Apache-2.0 (older copies: ODbL 1.0)",
            "Sentiment word list with integer scores -5..5, for a programmatic reward.");

    public static final List<Entry> ENTRIES = List.of(TINY_STORIES, ALPACA, DOLLY, HH_RLHF, ULTRA_FEEDBACK, AFINN);

    private static final String EOT = "<|endoftext|>";

    private final Path mirror;
    private final Supplier<Hub> hub;

    private Catalog(Path mirror, Supplier<Hub> hub) {
        this.mirror = mirror;
        this.hub = hub;
    }

    /** The mirror named by {@code TUNELAB_DATA} when set, else the Hub as the environment describes it. */
    public static Catalog standard() {
        String dir = System.getenv("TUNELAB_DATA");
        return dir != null && !dir.isBlank() ? mirror(Path.of(dir)) : hub(Hub.fromEnvironment());
    }

    /** Reads everything from a local mirror folder; never touches the network. */
    public static Catalog mirror(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("the data mirror " + dir.toAbsolutePath() + " (TUNELAB_DATA) is not a folder");
        }
        return new Catalog(dir, null);
    }

    /** Downloads from the Hub into its cache on first use. */
    public static Catalog hub(Hub hub) {
        Objects.requireNonNull(hub, "hub");
        return new Catalog(null, () -> hub);
    }

    /** The mirror folder, or null when this catalog downloads. */
    public Path mirrorDir() {
        return mirror;
    }

    // ------------------------------------------------------------------ data sets

    /**
     * TinyStories, {@code "train"} or {@code "validation"}, one {@link TextDocument} per story
     * (per paragraph for the mirror's validation slice, see {@link #TINY_STORIES}).
     */
    public Dataset<TextDocument> tinyStories(String split) {
        if (mirror != null) {
            List<Path> files = mirrorFiles(TINY_STORIES, split);
            Dataset<TextDocument> all = null;
            for (Path f : files) {
                Dataset<TextDocument> d = split.equals("validation")
                        ? Loader.text(f, null, Loader.Tail.KEEP, LoadOptions.strict())
                        : Loader.text(f, EOT, Loader.Tail.DROP, LoadOptions.strict());
                all = all == null ? d : all.concat(d);
            }
            return all;
        }
        return Loader.text(hubFile(TINY_STORIES, split, null), EOT, Loader.Tail.KEEP, LoadOptions.strict());
    }

    /** Alpaca instruction data ({@link #ALPACA} says which). */
    public Dataset<AlpacaExample> alpaca(LoadOptions options) {
        Path f = mirror != null ? mirrorFiles(ALPACA, "train").get(0) : hubFile(ALPACA, "train", null);
        return Loader.json(f, Format.ALPACA, options);
    }

    public Dataset<DollyExample> dolly(LoadOptions options) {
        Path f = mirror != null ? mirrorFiles(DOLLY, "train").get(0) : hubFile(DOLLY, "train", null);
        return Loader.json(f, Format.DOLLY, options);
    }

    /** HH-RLHF {@code subset} ("helpful-base", ...) and {@code split} ("train" or "test"). */
    public Dataset<PreferenceExample> hhRlhf(String subset, String split, LoadOptions options) {
        Path f = mirror != null ? mirrorFiles(HH_RLHF, subset + "/" + split).get(0) : hubFile(HH_RLHF, split, subset);
        return Loader.json(f, Format.HH_RLHF, options);
    }

    /**
     * UltraFeedback binarized, {@code "train_prefs"} or {@code "test_prefs"}: the Hub's Parquet
     * files, or in a mirror its JSON Lines copy when there is one, else its Parquet files.
     */
    public Dataset<PreferenceExample> ultraFeedback(String split, LoadOptions options) {
        List<String> jsonl = ULTRA_FEEDBACK.mirrorFiles().get(split);
        if (mirror != null && jsonl != null && Files.isRegularFile(mirror.resolve(jsonl.get(0)))) {
            return Loader.json(mirror.resolve(jsonl.get(0)), Format.PREFERENCE, options);
        }
        if (mirror != null && jsonl != null && !Files.isDirectory(mirror.resolve("hub").resolve(ULTRA_FEEDBACK.repo()))) {
            throw new IllegalStateException("the data mirror " + mirror + " (TUNELAB_DATA) has neither " + jsonl.get(0)
                    + " nor the Parquet files under hub/" + ULTRA_FEEDBACK.repo() + "/ for " + ULTRA_FEEDBACK.name()
                    + "; unset TUNELAB_DATA to download it from the Hub");
        }
        return parquet(ULTRA_FEEDBACK.repo(), "default", split, Format.PREFERENCE, options);
    }

    // ------------------------------------------------------------------ any Parquet data set

    /**
     * {@code split} of the config {@code "default"} of the Hub data set {@code repo}, read from
     * its Parquet files (loaded whole; {@link #parquetFiles} and {@link Parquet#stream} stream).
     */
    public <T extends Example> Dataset<T> parquet(String repo, String split, Format<T> format, LoadOptions options) {
        return parquet(repo, "default", split, format, options);
    }

    public <T extends Example> Dataset<T> parquet(String repo, String config, String split, Format<T> format, LoadOptions options) {
        return Parquet.read(parquetFiles(repo, config, split), format, options).renamedTo(repo + " (" + split + ")");
    }

    /**
     * The local paths of the Parquet shards of {@code repo}'s {@code config}/{@code split}, in
     * order. From the Hub: the files of {@code main} (the {@code data/} layout) when it has that
     * split, else those of {@code refs/convert/parquet}, the Hub's own conversion; each file is
     * downloaded into the Hub cache once. From a mirror: the files under
     * {@code hub/<org>/<name>/}, in either layout.
     */
    public List<Path> parquetFiles(String repo, String config, String split) {
        if (mirror != null) {
            Path root = mirror.resolve("hub").resolve(repo);
            if (!Files.isDirectory(root)) {
                throw new IllegalStateException("the data mirror " + mirror + " (TUNELAB_DATA) has no folder hub/" + repo
                        + " holding the Parquet files of " + repo + "; unset TUNELAB_DATA to download it from the Hub");
            }
            List<String> files;
            try (var walk = Files.walk(root)) {
                files = walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/')).toList();
            } catch (java.io.IOException e) {
                throw Loader.io(root, e);
            }
            List<String> chosen = HubLayout.splitFiles(files, config, split);
            if (chosen.isEmpty()) throw noSplit(repo, config, split, files, "the mirror folder " + root);
            return chosen.stream().map(root::resolve).toList();
        }
        Hub h = hub.get();
        String revision = "main";
        List<String> files = h.listFiles(Hub.RepoType.DATASET, repo, revision);
        List<String> chosen = HubLayout.splitFiles(files, config, split);
        if (chosen.isEmpty()) {
            revision = "refs/convert/parquet";
            List<String> converted;
            try {
                converted = h.listFiles(Hub.RepoType.DATASET, repo, revision);
            } catch (dev.tunelab.io.HubException e) {
                throw noSplit(repo, config, split, files, "its main branch (and its refs/convert/parquet branch: " + e.getMessage() + ")");
            }
            chosen = HubLayout.splitFiles(converted, config, split);
            if (chosen.isEmpty()) {
                List<String> both = new ArrayList<>(files);
                both.addAll(converted);
                throw noSplit(repo, config, split, both, "its main and refs/convert/parquet branches");
            }
        }
        List<Path> out = new ArrayList<>();
        for (String f : chosen) out.add(h.download(Hub.RepoType.DATASET, repo, revision, f, null));
        return out;
    }

    private static IllegalArgumentException noSplit(String repo, String config, String split, List<String> files, String where) {
        return new IllegalArgumentException(repo + " has no Parquet files of config '" + config + "' split '" + split + "' in "
                + where + "; Parquet splits there: " + HubLayout.splits(files, config) + ", configs: " + HubLayout.configs(files));
    }

    /** The AFINN-en-165 sentiment lexicon (mirror only; AFINN is not on the Hub). */
    public Lexicon afinn() {
        return afinn("en-165");
    }

    /** {@code "en-165"} or {@code "111"}. */
    public Lexicon afinn(String version) {
        if (mirror == null) {
            throw new UnsupportedOperationException("AFINN is not on the Hugging Face Hub: set TUNELAB_DATA to a mirror "
                    + "with lexicon/AFINN-" + version + ".txt, or load a copy with Datasets.lexicon(path)");
        }
        return Lexicon.load(mirrorFiles(AFINN, version).get(0));
    }

    private List<Path> mirrorFiles(Entry e, String split) {
        List<String> names = e.mirrorFiles().get(split);
        if (names == null) {
            throw new IllegalArgumentException("the mirror holds no " + e.name() + " split '" + split + "'; it has "
                    + e.mirrorFiles().keySet() + " (mirror: " + mirror + ", TUNELAB_DATA)");
        }
        List<Path> out = new ArrayList<>();
        for (String n : names) {
            Path p = mirror.resolve(n);
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException("the data mirror " + mirror + " (TUNELAB_DATA) has no " + n + " for "
                        + e.name() + ". " + e.note() + " Unset TUNELAB_DATA to download " + e.repo() + " from the Hub.");
            }
            out.add(p);
        }
        return out;
    }

    private Path hubFile(Entry e, String split, String subset) {
        String file = e.hubFiles().get(split);
        if (file == null) {
            throw new IllegalArgumentException(e.name() + " has no split '" + split + "' on the Hub; it has " + e.hubFiles().keySet());
        }
        if (subset != null) file = file.replace("{subset}", subset);
        return hub.get().download(Hub.RepoType.DATASET, e.repo(), "main", file, null);
    }

    // ------------------------------------------------------------------ display

    /** The catalog as a table: name, Hub repository, files, format, license, notes. */
    public static Table table() {
        Map<String, StringColumn> cols = new LinkedHashMap<>();
        for (String c : List.of("name", "hub repo", "hub files", "mirror files", "format", "license", "note")) {
            cols.put(c, StringColumn.create(c));
        }
        for (Entry e : ENTRIES) {
            cols.get("name").append(e.name());
            cols.get("hub repo").append(e.repo());
            cols.get("hub files").append(e.hubFiles().isEmpty() ? "(not on the Hub)" : String.join(", ", e.hubFiles().values()));
            cols.get("mirror files").append(e.mirrorFiles().values().stream().flatMap(List::stream).reduce((a, b) -> a + ", " + b).orElse(""));
            cols.get("format").append(e.format());
            cols.get("license").append(e.license());
            cols.get("note").append(e.note());
        }
        return Table.create("tunelab data catalog", cols.values().toArray(new StringColumn[0]));
    }

    @Override
    public Map<String, String> mimeBundle() {
        Table t = table();
        return Map.of(MimeBundles.TEXT, toString() + "\n" + Tables.text(t, ENTRIES.size()),
                MimeBundles.HTML, "<p>" + toString().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</p>" + Tables.html(t, ENTRIES.size()));
    }

    @Override
    public String toString() {
        return mirror != null ? "catalog reading the mirror " + mirror : "catalog downloading from the Hub (" + hub.get() + ")";
    }
}
