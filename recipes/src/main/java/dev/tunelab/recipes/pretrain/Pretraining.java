package dev.tunelab.recipes.pretrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.generate.Generator;
import dev.tunelab.io.AtomicFiles;
import dev.tunelab.io.BpeTrainer;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.train.Checkpoints;
import dev.tunelab.train.LrSchedule;
import dev.tunelab.train.TokenChunks;
import dev.tunelab.train.TokenWindows;
import dev.tunelab.train.TrainConfig;
import dev.tunelab.train.TrainResult;
import dev.tunelab.train.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The recipe behind tunelab's own tiny base models: train a byte-level BPE tokenizer on the
 * TinyStories training text, pretrain a Llama from scratch on it, keep the weights with the lowest
 * held-out loss, and write a Hugging Face model folder with a model card.
 *
 * <pre>
 * TUNELAB_DATA=path/to/datasets bin/pretrain --models base,mini
 * </pre>
 */
public final class Pretraining {
    /** The TinyStories files of the public mirror (see datasets/README.md). */
    public static final List<String> TRAIN_FILES = List.of(
            "tinystories/tinystories_train_head_2MiB.txt", "tinystories/tinystories_train_sample_1727.txt");
    public static final String VALIDATION_FILE = "tinystories/tinystories_validation_head.txt";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Pretraining() {}

    /** One model's size and schedule. */
    public record Recipe(String name, LlamaConfig config, int blockSize, int batchSize, int steps, double learningRate,
            int warmup, double weightDecay, int evalEvery, long seed) {

        public Recipe withSteps(int newSteps, int newEvalEvery) {
            return new Recipe(name, config, blockSize, batchSize, newSteps, learningRate,
                    Math.min(warmup, Math.max(1, newSteps / 10)), weightDecay, newEvalEvery, seed);
        }
    }

    /** ~2.7M parameters at vocabulary 2048: the model most notebooks fine-tune, and the distillation teacher. */
    public static Recipe base(int vocabSize) {
        LlamaConfig c = LlamaConfig.builder().vocabSize(vocabSize).hiddenSize(192).intermediateSize(512).layers(6)
                .heads(6).kvHeads(2).maxPositions(512).tieWordEmbeddings(true).attentionDropout(0.1)
                .specialTokens(1, 2, 0).build();
        return new Recipe("tinystories-base", c, 256, 16, 1200, 2e-3, 100, 0.1, 150, 1234);
    }

    /** ~0.6M parameters: the distillation student. */
    public static Recipe mini(int vocabSize) {
        LlamaConfig c = LlamaConfig.builder().vocabSize(vocabSize).hiddenSize(96).intermediateSize(256).layers(4)
                .heads(3).kvHeads(1).maxPositions(512).tieWordEmbeddings(true).attentionDropout(0.1)
                .specialTokens(1, 2, 0).build();
        return new Recipe("tinystories-mini", c, 256, 16, 1500, 3e-3, 100, 0.1, 150, 1234);
    }

    /** Stories of a TinyStories train file: split at the separator; the cut-off text after the last one is dropped. */
    public static List<String> stories(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int last = text.lastIndexOf(BpeTrainer.ENDOFTEXT);
        if (last < 0) {
            throw new IOException(file + ": no " + BpeTrainer.ENDOFTEXT + " separator: not a TinyStories train file");
        }
        List<String> out = new ArrayList<>();
        for (String s : text.substring(0, last).split(java.util.regex.Pattern.quote(BpeTrainer.ENDOFTEXT))) {
            String story = s.strip();
            if (!story.isEmpty()) {
                out.add(story);
            }
        }
        return out;
    }

    /** The training stories of both files, exact duplicates removed, in file order. */
    public static List<String> trainingStories(Path dataDir) throws IOException {
        LinkedHashSet<String> unique = new LinkedHashSet<>();
        for (String f : TRAIN_FILES) {
            unique.addAll(stories(dataDir.resolve(f)));
        }
        return new ArrayList<>(unique);
    }

    /**
     * Trains the shared tokenizer and saves it into {@code dir}. The models see stories joined by
     * end-of-text and never a BOS, so the tokenizer does not add one ({@code add_bos_token: false}):
     * generation, perplexity and SFT encode text as the model was pretrained on it.
     */
    public static Tokenizer trainTokenizer(List<String> stories, int vocabSize, Path dir) throws IOException {
        BpeTrainer.builder().vocabSize(vocabSize).bos("<|bos|>").addBosToken(false).eos(BpeTrainer.ENDOFTEXT).pad("<pad>")
                .specialTokens("<|im_start|>", "<|im_end|>").modelMaxLength(512).build().train(stories).save(dir);
        return Tokenizer.load(dir);
    }

    /** Each story's tokens followed by end-of-text, as one stream. */
    public static long[] encodeStories(Tokenizer tok, List<String> stories) {
        long eos = tok.eosId().orElseThrow();
        List<long[]> parts = new ArrayList<>();
        int total = 0;
        for (String s : stories) {
            long[] ids = tok.encode(s, false);
            parts.add(ids);
            total += ids.length + 1;
        }
        long[] out = new long[total];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
            out[at++] = eos;
        }
        return out;
    }

    /** What one recipe produced. */
    public record Result(Recipe recipe, Path dir, double heldOutLoss, int bestStep, long tokensSeen, double epochs,
            Duration wallTime, List<String> samples) {
        public double perplexity() {
            return Math.exp(heldOutLoss);
        }
    }

    /**
     * Pretrains one recipe and writes the model folder {@code outDir/<name>}: config.json,
     * model.safetensors (the best held-out weights), tokenizer files, generation_config.json, README.md.
     */
    public static Result run(Recipe r, Path tokenizerDir, long[] train, long[] validation, Path workDir, Path outDir,
            Map<String, String> provenance) throws IOException {
        long start = System.nanoTime();
        TokenChunks heldOut = new TokenChunks(validation, r.batchSize(), r.blockSize());
        Path checkpoints = workDir.resolve(r.name());
        TrainConfig cfg = new TrainConfig().steps(r.steps()).learningRate(r.learningRate()).warmup(r.warmup())
                .schedule(LrSchedule.Kind.COSINE).minLrRatio(0.1).weightDecay(r.weightDecay()).betas(0.9, 0.95)
                .clipNorm(1.0).evalEvery(r.evalEvery()).evalBatches(heldOut.batches()).logEvery(10)
                .checkpointDir(checkpoints).checkpointEvery(r.evalEvery()).seed(r.seed()).runName(r.name())
                .runsDir(workDir.resolve("runs"));
        Path dir = outDir.resolve(r.name());
        TrainResult result;
        try (LlamaModel trained = LlamaModel.create(r.config(), r.seed())) {
            result = Trainer.fit(trained, new TokenWindows(train, r.batchSize(), r.blockSize(), r.seed()), heldOut, cfg);
        }
        // Model selection: the weights with the lowest held-out loss (best/, a model folder), not the last ones.
        try (LlamaModel model = LlamaModel.load(checkpoints.resolve(Checkpoints.BEST))) {
            double loss = Trainer.evaluate(model, heldOut, heldOut.batches());
            int bestStep = result.bestStep();
            long tokensSeen = (long) result.endStep() * r.batchSize() * r.blockSize();
            List<String> samples;
            try (Tokenizer tok = Tokenizer.load(tokenizerDir)) {
                samples = samples(model, tok, 4, 160);
            }
            Duration wall = Duration.ofNanos(System.nanoTime() - start);
            Result res = new Result(r, dir, loss, bestStep, tokensSeen, (double) tokensSeen / train.length, wall, samples);
            model.save(dir);
            for (String f : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
                Files.copy(tokenizerDir.resolve(f), dir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            writeGenerationConfig(dir, r.config());
            AtomicFiles.writeString(dir.resolve("README.md"), card(res, train.length, validation.length, provenance));
            return res;
        }
    }

    /** Temperature-0.8 continuations of "Once upon a time" with fixed seeds. */
    public static List<String> samples(LlamaModel model, Tokenizer tok, int count, int maxNewTokens) {
        long eos = tok.eosId().orElseThrow();
        Generator g = new Generator(model, eos, tok.padId().orElse(eos), ids -> tok.decode(ids, true));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            GenerationConfig cfg = GenerationConfig.sample(0.8).topP(0.95).seed(i).maxNewTokens(maxNewTokens);
            Generation gen = g.generate(List.of(tok.encode("Once upon a time", false)), cfg).get(0);
            out.add("Once upon a time" + gen.text());
        }
        return out;
    }

    private static void writeGenerationConfig(Path dir, LlamaConfig c) throws IOException {
        ObjectNode g = JSON.createObjectNode();
        g.put("bos_token_id", c.bosTokenId());
        g.put("eos_token_id", c.eosTokenId());
        g.put("pad_token_id", c.padTokenId());
        g.put("do_sample", true);
        g.put("temperature", 0.8);
        g.put("top_p", 0.95);
        g.put("max_new_tokens", 200);
        AtomicFiles.writeString(dir.resolve("generation_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(g));
    }

    private static String card(Result r, long trainTokens, long validTokens, Map<String, String> provenance) {
        Recipe p = r.recipe();
        LlamaConfig c = p.config();
        StringBuilder sb = new StringBuilder();
        sb.append("---\nlicense: cdla-sharing-1.0\nlibrary_name: transformers\npipeline_tag: text-generation\n")
                .append("datasets:\n- roneneldan/TinyStories\n---\n\n");
        sb.append("# ").append(p.name()).append("\n\n");
        sb.append("A ").append(String.format(Locale.ROOT, "%,d", countParameters(c)))
                .append("-parameter Llama (`LlamaForCausalLM`) pretrained from scratch by tunelab on TinyStories "
                        + "(Eldan & Li 2023), for fine-tuning experiments on a laptop CPU. It writes simple "
                        + "children's stories; it knows nothing else.\n\n");
        sb.append("## Architecture\n\n| field | value |\n| --- | --- |\n");
        sb.append(row("layers", c.numHiddenLayers())).append(row("hidden size", c.hiddenSize()))
                .append(row("attention heads / KV heads", c.numAttentionHeads() + " / " + c.numKeyValueHeads()))
                .append(row("head dim", c.headDim())).append(row("MLP (SwiGLU) size", c.intermediateSize()))
                .append(row("vocabulary (byte-level BPE)", c.vocabSize()))
                .append(row("tied embeddings", c.tieWordEmbeddings()))
                .append(row("context used in training", p.blockSize()));
        sb.append("\n## Training\n\n");
        sb.append("Data: the TinyStories text of the public mirror, ").append(String.format(Locale.ROOT, "%,d", trainTokens))
                .append(" training tokens (the stories of `").append(String.join("` and `", TRAIN_FILES))
                .append("`, cut-off tails and exact duplicates removed) and ")
                .append(String.format(Locale.ROOT, "%,d", validTokens)).append(" held-out tokens (`")
                .append(VALIDATION_FILE).append("`, rows of the validation split). About a million tokens is a "
                        + "data-limited regime: the model sees the data several times, with weight decay and "
                        + "attention dropout, and the weights kept are those with the lowest held-out loss.\n\n");
        sb.append("| setting | value |\n| --- | --- |\n");
        sb.append(row("steps run", p.steps())).append(row("batch x block", p.batchSize() + " x " + p.blockSize()))
                .append(row("tokens seen", String.format(Locale.ROOT, "%,d", r.tokensSeen())))
                .append(row("epochs", String.format(Locale.ROOT, "%.1f", r.epochs())))
                .append(row("optimizer", "AdamW, betas (0.9, 0.95), weight decay " + p.weightDecay()))
                .append(row("learning rate", p.learningRate() + ", " + p.warmup() + " warmup steps, cosine to 10%"))
                .append(row("gradient clipping", "global norm 1.0"))
                .append(row("attention dropout", c.attentionDropout()))
                .append(row("seed", p.seed()))
                .append(row("best step (lowest held-out loss)", r.bestStep()))
                .append(row("wall time", formatDuration(r.wallTime())));
        provenance.forEach((k, v) -> sb.append(row(k, "`" + v + "`")));
        sb.append("\n## Results\n\n");
        sb.append(String.format(Locale.ROOT, "Held-out loss **%.4f** nats/token, perplexity **%.2f** (every held-out "
                + "token scored once, in %d-token blocks).%n%n", r.heldOutLoss(), r.perplexity(), p.blockSize()));
        sb.append("Samples (temperature 0.8, top-p 0.95, seeds 0-").append(r.samples().size() - 1).append("):\n\n");
        for (String s : r.samples()) {
            sb.append("> ").append(s.replace("\n", " ").strip()).append("\n\n");
        }
        sb.append("## Use\n\n```java\nvar lm = Models.load(\"datasets/models/").append(p.name())
                .append("\");\nlm.generate(\"Once upon a time\", GenerationConfig.sample(0.8).maxNewTokens(100)).text();\n```\n\n")
                .append("In Python: `AutoModelForCausalLM.from_pretrained(path)` and "
                        + "`AutoTokenizer.from_pretrained(path)`.\n\n")
                .append("The model was pretrained on stories joined by end-of-text, never after a BOS token, so its "
                        + "tokenizer does not add one (`add_bos_token: false`): generation, perplexity and fine-tuning "
                        + "encode text as it was pretrained.\n\n");
        sb.append("## Reproduce\n\n```bash\n").append(provenance.getOrDefault("command", "")).append("\n```\n");
        return sb.toString();
    }

    private static long countParameters(LlamaConfig c) {
        return c.parameterCount();
    }

    private static String row(String k, Object v) {
        return "| " + k + " | " + v + " |\n";
    }

    private static String formatDuration(Duration d) {
        return String.format(Locale.ROOT, "%d min %02d s", d.toMinutes(), d.toSecondsPart());
    }

    static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static final String USAGE = """
            usage: bin/pretrain [options]   (dev.tunelab.recipes.pretrain.Pretraining)
              --data DIR         the public data mirror with tinystories/ (default $TUNELAB_DATA)
              --out DIR          where the model folders go (default datasets/models)
              --work DIR         checkpoints, runs and the tokenizer (default target/pretraining)
              --vocab N          tokenizer vocabulary size (default 2048)
              --models LIST      base, mini or base,mini (default base,mini)
              --steps N          shorten the schedule to N steps
              --eval-every N     held-out evaluation every N steps (with --steps; default steps/10)
              --help             this text
            """;

    /**
     * Command line: {@code --data DIR} (the mirror; default $TUNELAB_DATA), {@code --out DIR}
     * (default datasets/models), {@code --work DIR} (checkpoints and runs; default
     * target/pretraining), {@code --vocab N} (2048), {@code --models base,mini}, {@code --steps N}
     * and {@code --eval-every N} to shorten the schedule; {@code --help} prints them.
     */
    public static void main(String[] args) throws IOException {
        Path data = System.getenv("TUNELAB_DATA") == null ? null : Path.of(System.getenv("TUNELAB_DATA"));
        Path out = Path.of("datasets/models");
        Path work = Path.of("target/pretraining");
        int vocab = 2048;
        int steps = -1;
        int evalEvery = -1;
        List<String> models = List.of("base", "mini");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--vocab" -> vocab = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--eval-every" -> evalEvery = Integer.parseInt(args[++i]);
                case "--models" -> models = List.of(args[++i].split(","));
                case "--help", "-h" -> {
                    System.out.print(USAGE);
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (expected --data, --out, --work, --vocab, --models, --steps, --eval-every, --help)");
            }
        }
        if (data == null) {
            throw new IllegalArgumentException("no data: pass --data DIR or set TUNELAB_DATA to the TinyStories mirror");
        }
        Map<String, String> provenance = new LinkedHashMap<>();
        for (String f : TRAIN_FILES) {
            provenance.put("sha256 " + Path.of(f).getFileName(), sha256(data.resolve(f)));
        }
        provenance.put("sha256 " + Path.of(VALIDATION_FILE).getFileName(), sha256(data.resolve(VALIDATION_FILE)));
        provenance.put("command", "TUNELAB_DATA=path/to/datasets bin/pretrain --vocab " + vocab
                + " --models " + String.join(",", models)
                + (steps > 0 ? " --steps " + steps : "") + (evalEvery > 0 ? " --eval-every " + evalEvery : ""));
        provenance.put("date", LocalDate.now().toString());

        List<String> stories = trainingStories(data);
        Path tokDir = work.resolve("tokenizer");
        long[] train;
        long[] validation;
        try (Tokenizer tok = trainTokenizer(stories, vocab, tokDir)) {
            train = encodeStories(tok, stories);
            validation = tok.encode(Files.readString(data.resolve(VALIDATION_FILE), StandardCharsets.UTF_8), false);
        }
        System.out.printf(Locale.ROOT, "%d stories, %,d training tokens, %,d held-out tokens%n", stories.size(),
                train.length, validation.length);
        for (String m : models) {
            Recipe r = switch (m) {
                case "base" -> base(vocab);
                case "mini" -> mini(vocab);
                default -> throw new IllegalArgumentException("unknown model " + m + " (base or mini)");
            };
            if (steps > 0) {
                r = r.withSteps(steps, evalEvery > 0 ? evalEvery : Math.max(1, steps / 10));
            }
            Result res = run(r, tokDir, train, validation, work, out, provenance);
            System.out.printf(Locale.ROOT, "%s: held-out loss %.4f, perplexity %.2f, best step %d, %s%n", r.name(),
                    res.heldOutLoss(), res.perplexity(), res.bestStep(), formatDuration(res.wallTime()));
        }
    }
}
