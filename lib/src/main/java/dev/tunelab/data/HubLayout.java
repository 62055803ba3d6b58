package dev.tunelab.data;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which Parquet files of a Hub data-set repository hold a config's split, for the two layouts
 * the Hub uses (as {@code datasets}' data-file patterns read them):
 *
 * <pre>
 * main:                  data/train-00000-of-00002-&lt;hash&gt;.parquet, data/test.parquet,
 *                        &lt;config&gt;/train-00000-of-00001.parquet (a repository with several configs)
 * refs/convert/parquet:  &lt;config&gt;/train/0000.parquet, &lt;config&gt;/partial-train/0000.parquet (the first 5 GB),
 *                        &lt;config&gt;/&lt;name&gt;-train-00000-of-00001.parquet (the older naming)
 * </pre>
 *
 * A file under {@code data/} or at the top belongs to the config {@code "default"}. The shards
 * of a split are read in the order of their names.
 */
final class HubLayout {
    // train-00000-of-00002, train-00000-of-00002-1a2b3c (the Hub's upload names)
    private static final Pattern SHARD = Pattern.compile("(.+?)-\\d+-of-\\d+(-[0-9a-zA-Z]+)?");

    private HubLayout() {}

    /** The paths of {@code config}'s {@code split}, sorted; empty when none. */
    static List<String> splitFiles(List<String> repoFiles, String config, String split) {
        return repoFiles.stream().filter(p -> p.endsWith(".parquet"))
                .filter(p -> configOf(p).equals(config))
                .filter(p -> splitOf(p).equals(split) || splitOf(p).endsWith("-" + split))
                .sorted().toList();
    }

    /** The splits that {@code config}'s Parquet files hold, for error messages. */
    static Set<String> splits(List<String> repoFiles, String config) {
        Set<String> out = new TreeSet<>();
        for (String p : repoFiles) if (p.endsWith(".parquet") && configOf(p).equals(config)) out.add(splitOf(p));
        return out;
    }

    /** The configs that hold Parquet files. */
    static Set<String> configs(List<String> repoFiles) {
        Set<String> out = new TreeSet<>();
        for (String p : repoFiles) if (p.endsWith(".parquet")) out.add(configOf(p));
        return out;
    }

    static String configOf(String path) {
        String[] seg = path.split("/");
        return seg.length < 2 || seg[0].equals("data") ? "default" : seg[0];
    }

    static String splitOf(String path) {
        String[] seg = path.split("/");
        String stem = seg[seg.length - 1].substring(0, seg[seg.length - 1].length() - ".parquet".length());
        if (stem.matches("\\d+") && seg.length >= 2) { // <config>/<split>/0000.parquet
            String dir = seg[seg.length - 2];
            return dir.startsWith("partial-") ? dir.substring("partial-".length()) : dir;
        }
        Matcher m = SHARD.matcher(stem);
        return m.matches() ? m.group(1) : stem;
    }
}
