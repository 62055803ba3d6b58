package dev.tunelab.recipes.pretrain;

import dev.tunelab.io.BpeModel;
import dev.tunelab.io.BpeTrainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The command line behind the tokenizer study of tunelab's base models: trains a byte-level BPE
 * tokenizer ({@link BpeTrainer}) on TinyStories-style files (stories between
 * {@code <|endoftext|>} separators), measures it on held-out text, or sweeps vocabulary sizes
 * against compression and embedding cost. The shipped tokenizer itself is made by
 * {@link Pretraining#trainTokenizer} ({@code bin/pretrain}).
 *
 * <pre>
 * java -cp "recipes/target/classes:$(cat recipes/target/recipes.classpath)" \
 *     dev.tunelab.recipes.pretrain.TrainTokenizer --sweep 512,1024,2048,4096 --eval valid.txt train.txt
 * </pre>
 */
public final class TrainTokenizer {
    static final String USAGE = "usage: TrainTokenizer [--vocab-size N] [--min-frequency N] [--model-max-length N]"
            + " [--separator S] [--out DIR] [--eval FILE] [--sweep N,N,...] [--hidden H,H,...] TRAIN_FILE...";

    private TrainTokenizer() {}

    /**
     * Trains a tokenizer, or sweeps vocabulary sizes, from the command line.
     *
     * <pre>
     * TrainTokenizer [--vocab-size N] [--min-frequency N] [--model-max-length N] [--separator S]
     *                [--out DIR] [--eval FILE] [--sweep N,N,...] [--hidden H,H,...] TRAIN_FILE...
     * </pre>
     *
     * With {@code --out} the tokenizer is written there. {@code --eval} measures bytes per token
     * on a held-out file (read whole, as running text). {@code --sweep} trains one tokenizer per
     * vocabulary size and prints a Markdown table of compression and embedding cost. {@code --help}
     * prints the usage.
     */
    public static void main(String[] args) throws IOException {
        int vocab = 2048, minFreq = 2, maxLength = 2048;
        String separator = BpeTrainer.ENDOFTEXT, sweep = null, hidden = "128,256";
        Path out = null, eval = null;
        List<Path> train = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--vocab-size" -> vocab = Integer.parseInt(args[++i]);
                case "--min-frequency" -> minFreq = Integer.parseInt(args[++i]);
                case "--model-max-length" -> maxLength = Integer.parseInt(args[++i]);
                case "--separator" -> separator = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "--eval" -> eval = Path.of(args[++i]);
                case "--sweep" -> sweep = args[++i];
                case "--hidden" -> hidden = args[++i];
                case "--help", "-h" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> {
                    if (args[i].startsWith("--")) {
                        throw new IllegalArgumentException("unknown option " + args[i]);
                    }
                    train.add(Path.of(args[i]));
                }
            }
        }
        if (train.isEmpty()) {
            System.err.println(USAGE);
            System.exit(2);
        }
        List<String> docs = new ArrayList<>();
        for (Path p : train) {
            docs.addAll(BpeTrainer.readDocuments(p, separator));
        }
        List<String> held = eval == null ? null : List.of(Files.readString(eval, StandardCharsets.UTF_8));
        PrintStream o = System.out;
        if (sweep != null) {
            int[] hs = Arrays.stream(hidden.split(",")).mapToInt(Integer::parseInt).toArray();
            o.println(sweepTable(docs, held, Arrays.stream(sweep.split(",")).mapToInt(Integer::parseInt).toArray(),
                    hs, minFreq));
            return;
        }
        BpeModel model = BpeTrainer.builder().vocabSize(vocab).minFrequency(minFreq).modelMaxLength(maxLength).build()
                .train(docs);
        var s = model.trainingStats();
        o.printf(Locale.ROOT, "trained %s on %d documents (%d bytes, %d words, %d distinct) in %.2f s: %s%n",
                model, s.documents(), s.bytes(), s.words(), s.distinctWords(), s.seconds(), s.stoppedBecause());
        if (held != null) {
            var c = model.compression(held);
            o.printf(Locale.ROOT, "held-out %s: %d bytes, %d tokens, %.3f bytes/token%n", eval, c.bytes(), c.tokens(),
                    c.bytesPerToken());
        }
        if (out != null) {
            model.save(out);
            o.println("wrote " + out.resolve("tokenizer.json"));
        }
    }

    /**
     * A Markdown table: per vocabulary size, training time, compression of the training and
     * held-out text, and the embedding matrix's parameters (vocab x hidden; twice that when the
     * output layer is not tied to it).
     */
    static String sweepTable(List<String> docs, List<String> held, int[] sizes, int[] hidden, int minFreq) {
        StringBuilder t = new StringBuilder("| vocab | merges | train s | train tokens | train bytes/token |");
        if (held != null) {
            t.append(" held-out tokens | bytes/token |");
        }
        for (int h : hidden) {
            t.append(" embedding params (h=").append(h).append(") |");
        }
        t.append("\n|").append(" --- |".repeat(5 + (held == null ? 0 : 2) + hidden.length)).append('\n');
        for (int v : sizes) {
            BpeModel m = BpeTrainer.builder().vocabSize(v).minFrequency(minFreq).build().train(docs);
            var tc = m.compression(docs);
            t.append(String.format(Locale.ROOT, "| %d | %d | %.2f | %,d | %.3f |", m.vocabSize(), m.mergeCount(),
                    m.trainingStats().seconds(), tc.tokens(), tc.bytesPerToken()));
            if (held != null) {
                var c = m.compression(held);
                t.append(String.format(Locale.ROOT, " %,d | %.3f |", c.tokens(), c.bytesPerToken()));
            }
            for (int h : hidden) {
                t.append(String.format(Locale.ROOT, " %,d |", (long) m.vocabSize() * h));
            }
            t.append('\n');
        }
        return t.toString();
    }
}
