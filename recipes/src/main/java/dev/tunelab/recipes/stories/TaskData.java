package dev.tunelab.recipes.stories;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.distill.FilterStats;
import dev.tunelab.distill.NgramDedup;
import dev.tunelab.distill.SyntheticData;
import dev.tunelab.distill.SyntheticSet;
import dev.tunelab.distill.Teacher;
import dev.tunelab.distill.TeacherConfig;
import dev.tunelab.eval.SentimentJudge;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Writes the task data sets tunelab makes itself into {@code datasets/tasks/}, with a
 * {@code MANIFEST.json} that records how: seeds, the teacher model's fingerprint, counts and
 * acceptance rates.
 *
 * <ul>
 *   <li>{@code story-openings-{train,test}.jsonl}: story openings for preference and RL experiments
 *       ({@link StoryOpenings}); no model needed.
 *   <li>{@code story-instructions-{train,test}.jsonl}: Alpaca-style instruction data made by sampling
 *       from {@code tinystories-base} and keeping the stories that pass their task's checks
 *       ({@link StoryTasks}, {@link Teacher}).
 *   <li>{@code story-synthetic-train.jsonl} (with {@code --synthetic}): a larger pool of the same kind
 *       of rows for notebook 08's synthetic-data experiments, made by {@link SyntheticData} from task
 *       combinations that are not held out, several samples per task, with provenance on every row.
 * </ul>
 *
 * <pre>
 * bin/make-task-data                      # both, with the defaults below
 * bin/make-task-data --openings-only      # no model needed
 * bin/make-task-data --synthetic-only     # the synthetic pool alone
 * </pre>
 */
public final class TaskData {
    public static final String OPENINGS_TRAIN = "story-openings-train.jsonl";
    public static final String OPENINGS_TEST = "story-openings-test.jsonl";
    public static final String INSTRUCTIONS_TRAIN = "story-instructions-train.jsonl";
    public static final String INSTRUCTIONS_TEST = "story-instructions-test.jsonl";
    public static final String SYNTHETIC_TRAIN = "story-synthetic-train.jsonl";
    public static final String MANIFEST = "MANIFEST.json";
    /**
     * The story lexicon file, relative to the repository root where {@code bin/make-task-data}
     * runs: the file {@link SentimentJudge#stories()} reads as a resource, read here as a file so
     * that the manifest records its sha256 (and {@code --lexicon} can point at another one).
     */
    public static final String LEXICON = "datasets/lexicon/story-sentiment.txt";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TaskData() {}

    /** What to make; the defaults are what the committed files were made with. */
    public record Options(long seed, int openingsTrain, int openingsTest, int tasksPerKind, int testTasksPerKind,
            TeacherConfig teacher, long syntheticSeed, int syntheticPerKind, int syntheticSamples) {
        public static Options defaults() {
            // Batches of 64: on a CPU a bigger batch makes more tokens per second (measured: 66 at 16, 133 at 64).
            return new Options(20261123L, 256, 64, 220, 40, TeacherConfig.defaults().batchSize(64).maxAttempts(3).seed(20261123L)
                    // as the shipped datasets/tasks were made: each prompt after end-of-text, no BOS
                    .startAfterEos(true).addBos(false),
                    20261206L, 280, 9);
        }
    }

    /** The held-out tasks of the instruction set: the first {@code testTasksPerKind} of each kind. */
    public static List<StoryTask> heldOutTasks(StoryTasks storyTasks, Options o) {
        return storyTasks.sample(o.tasksPerKind(), o.seed()).subList(0, o.testTasksPerKind() * StoryTasks.KINDS.size());
    }

    /**
     * Samples the synthetic pool: {@code syntheticPerKind} tasks of each kind drawn with
     * {@code syntheticSeed}, less those that ask what a held-out task asks (same kind and words), each
     * sampled {@code syntheticSamples} times; kept are the samples that pass their task's checks and
     * are no near-duplicate of a kept one ({@link NgramDedup#defaults()}).
     */
    public static ObjectNode writeSynthetic(Path out, Path teacherDir, Path lexicon, Options o) throws IOException {
        StoryTasks storyTasks = new StoryTasks(SentimentJudge.load(lexicon));
        Set<String> heldOut = new HashSet<>();
        heldOutTasks(storyTasks, o).forEach(t -> heldOut.add(t.kind() + t.slots()));
        List<StoryTask> tasks = storyTasks.sample(o.syntheticPerKind(), o.syntheticSeed()).stream()
                .filter(t -> !heldOut.contains(t.kind() + t.slots())).toList();
        TeacherConfig config = o.teacher().seed(o.syntheticSeed());
        long start = System.nanoTime();
        SyntheticSet<StoryTask> set;
        try (LanguageModel lm = Models.load(teacherDir)) {
            set = SyntheticData.builder(lm, teacherDir.getFileName().toString()).config(config)
                    .samplesPerTask(o.syntheticSamples()).filter(NgramDedup.defaults()).build().run(tasks);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Path file = out.resolve(SYNTHETIC_TRAIN);
        set.writeJsonl(file);
        ObjectNode section = JSON.createObjectNode();
        section.put("seed", o.syntheticSeed());
        section.put("tasks_per_kind_drawn", o.syntheticPerKind());
        section.put("tasks_after_removing_held_out", tasks.size());
        section.put("samples_per_task", o.syntheticSamples());
        section.set("settings", JSON.valueToTree(set.settings()));
        ObjectNode acceptance = section.putObject("acceptance");
        set.stats().groups().forEach((kind, grp) -> acceptance.set(kind, stats(grp)));
        acceptance.set("total", stats(set.stats().total()));
        section.put("sampling_seconds", Math.round(seconds));
        ObjectNode f = section.putObject("files").putObject(SYNTHETIC_TRAIN);
        f.put("rows", set.kept().size());
        f.put("sha256", sha256(file));
        System.out.printf(Locale.ROOT, "%s in %.0f s%n", set, seconds);
        System.out.println(dev.tunelab.display.Tables.text(set.stageTable(), 20));
        return section;
    }

    /** Writes the openings files and their manifest section. */
    public static ObjectNode writeOpenings(Path out, Options o) throws IOException {
        List<StoryOpenings.Opening> all = StoryOpenings.sample(o.openingsTrain() + o.openingsTest(), o.seed());
        ObjectNode section = JSON.createObjectNode();
        section.put("seed", o.seed());
        section.put("templates", StoryOpenings.TEMPLATES.size());
        section.put("children", StoryWords.CHILDREN.size());
        section.put("settings", StoryWords.SETTINGS.size());
        ObjectNode files = section.putObject("files");
        write(out, OPENINGS_TRAIN, StoryOpenings.jsonl(all.subList(0, o.openingsTrain())), o.openingsTrain(), files);
        write(out, OPENINGS_TEST, StoryOpenings.jsonl(all.subList(o.openingsTrain(), all.size())), o.openingsTest(), files);
        return section;
    }

    /**
     * Samples the instruction set from {@code teacherDir} and writes it with its manifest
     * section. The first {@code testTasksPerKind} tasks of each kind are held out.
     */
    public static ObjectNode writeInstructions(Path out, Path teacherDir, Path lexicon, Options o, Path rejectedFile)
            throws IOException {
        StoryTasks storyTasks = new StoryTasks(SentimentJudge.load(lexicon));
        List<StoryTask> tasks = storyTasks.sample(o.tasksPerKind(), o.seed());
        int testTasks = o.testTasksPerKind() * StoryTasks.KINDS.size();
        long start = System.nanoTime();
        Teacher.Result<StoryTask> result;
        try (LanguageModel lm = Models.load(teacherDir)) {
            result = new Teacher(lm, o.teacher()).run(tasks);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (rejectedFile != null) {
            StringBuilder r = new StringBuilder();
            for (Teacher.Rejected<StoryTask> x : result.rejected()) {
                Map<String, String> row = x.task().row(x.candidate().completion());
                row.put("rejected", x.reason().equals(FilterStats.UNFINISHED) || x.reason().equals(FilterStats.DUPLICATE)
                        ? x.reason() : String.valueOf(Teacher.firstFailedCheck(x.task(), x.candidate())));
                r.append(JSON.writeValueAsString(row)).append('\n');
            }
            AtomicFiles.writeString(rejectedFile, r.toString());
        }
        StringBuilder train = new StringBuilder();
        StringBuilder test = new StringBuilder();
        int trainRows = 0;
        int testRows = 0;
        for (Teacher.Accepted<StoryTask> a : result.accepted()) {
            boolean heldOut = tasks.indexOf(a.task()) < testTasks;
            (heldOut ? test : train).append(JSON.writeValueAsString(a.task().row(a.candidate().completion()))).append('\n');
            if (heldOut) testRows++; else trainRows++;
        }

        ObjectNode section = JSON.createObjectNode();
        section.put("seed", o.seed());
        ObjectNode teacher = section.putObject("teacher");
        teacher.put("model", teacherDir.getFileName().toString());
        for (String f : List.of("model.safetensors", "config.json", "tokenizer.json")) {
            teacher.put("sha256 " + f, sha256(teacherDir.resolve(f)));
        }
        GenerationConfig g = o.teacher().sampling();
        ObjectNode sampling = section.putObject("sampling");
        sampling.put("temperature", g.temperature());
        sampling.put("top_p", g.topP());
        sampling.put("max_new_tokens", g.maxNewTokens());
        sampling.put("batch_size", o.teacher().batchSize());
        sampling.put("max_attempts_per_task", o.teacher().maxAttempts());
        sampling.put("require_eos", o.teacher().requireEos());
        sampling.put("prompt_after_eos", o.teacher().startAfterEos());
        sampling.put("seed", o.teacher().seed());
        ObjectNode checks = section.putObject("checks");
        checks.put("words", StoryTasks.MIN_WORDS + ".." + StoryTasks.MAX_WORDS);
        checks.put("no_repeated_sentence_of_words", StoryTasks.REPEAT_WORDS);
        checks.put("happy_min_sentiment", StoryTasks.HAPPY_MIN);
        checks.put("sad_max_sentiment", StoryTasks.SAD_MAX);
        checks.put("lexicon_sha256", sha256(lexicon));
        section.put("tasks_per_kind", o.tasksPerKind());
        section.put("held_out_tasks_per_kind", o.testTasksPerKind());
        ObjectNode acceptance = section.putObject("acceptance");
        result.stats().groups().forEach((kind, grp) -> acceptance.set(kind, stats(grp)));
        acceptance.set("total", stats(result.stats().total()));
        ObjectNode files = section.putObject("files");
        write(out, INSTRUCTIONS_TRAIN, train.toString(), trainRows, files);
        write(out, INSTRUCTIONS_TEST, test.toString(), testRows, files);
        System.out.printf(Locale.ROOT, "%s; %d train + %d held-out rows in %.0f s%n", result.stats(), trainRows, testRows,
                seconds);
        System.out.println(dev.tunelab.display.Tables.text(result.stats().table(), 20));
        return section;
    }

    private static ObjectNode stats(FilterStats.Group g) {
        ObjectNode n = JSON.createObjectNode();
        n.put("tasks", g.tasks());
        n.put("samples", g.samples());
        n.put("accepted", g.accepted());
        n.put("acceptance_rate", Math.round(g.acceptanceRate() * 10000) / 10000.0);
        ObjectNode r = n.putObject("rejected_by_first_failed_check");
        g.rejected().forEach(r::put);
        return n;
    }

    private static void write(Path out, String name, String content, int rows, ObjectNode files) throws IOException {
        Path file = out.resolve(name);
        AtomicFiles.writeString(file, content);
        ObjectNode f = files.putObject(name);
        f.put("rows", rows);
        f.put("sha256", sha256(file));
    }

    /** Replaces one section of the manifest, keeping the others. */
    static void updateManifest(Path out, String section, JsonNode value, String command) throws IOException {
        Path file = out.resolve(MANIFEST);
        ObjectNode m = Files.exists(file) ? (ObjectNode) JSON.readTree(file.toFile()) : JSON.createObjectNode();
        m.put("generator", TaskData.class.getName());
        ((ObjectNode) value).put("command", command);
        m.set(section, value);
        AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m) + "\n");
    }

    static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static final String USAGE = """
            usage: bin/make-task-data [options]   (dev.tunelab.recipes.stories.TaskData, run from the repository root)
              --model DIR              the teacher (default datasets/models/tinystories-base)
              --out DIR                where the files and MANIFEST.json go (default datasets/tasks)
              --lexicon FILE           the sentiment lexicon of the mood checks (default %s)
              --seed N                 the seed of openings, tasks and sampling (default %d)
              --per-kind N             instruction tasks of each kind (default %d)
              --test-per-kind N        of which held out (default %d)
              --attempts N             samples per task at most (default %d)
              --batch N                sampling batch size (default %d)
              --openings-only          only the story openings; no model needed
              --rejected FILE          also write the thrown-away samples with the check each failed
              --synthetic              also the synthetic pool (notebook 08)
              --synthetic-only         only the synthetic pool
              --synthetic-per-kind N   synthetic tasks drawn of each kind (default %d)
              --synthetic-samples K    samples per synthetic task (default %d)
              --help                   this text
            """;

    static String usage() {
        Options d = Options.defaults();
        return String.format(Locale.ROOT, USAGE, LEXICON, d.seed(), d.tasksPerKind(), d.testTasksPerKind(),
                d.teacher().maxAttempts(), d.teacher().batchSize(), d.syntheticPerKind(), d.syntheticSamples());
    }

    /**
     * Command line: {@code --model DIR} (default datasets/models/tinystories-base), {@code --out DIR}
     * (default datasets/tasks), {@code --lexicon FILE} (default {@value #LEXICON}),
     * {@code --seed N}, {@code --per-kind N}, {@code --test-per-kind N}, {@code --attempts N},
     * {@code --batch N}, {@code --openings-only}, {@code --rejected FILE} (the thrown-away samples
     * with the check each failed, for a look; not part of the data), {@code --synthetic} (also the
     * synthetic pool), {@code --synthetic-only}, {@code --synthetic-per-kind N}, {@code --synthetic-samples K};
     * {@code --help} prints them.
     */
    public static void main(String[] args) throws IOException {
        Path model = Path.of("datasets/models/tinystories-base");
        Path out = Path.of("datasets/tasks");
        Path lexicon = Path.of(LEXICON);
        Options d = Options.defaults();
        long seed = d.seed();
        int perKind = d.tasksPerKind();
        int testPerKind = d.testTasksPerKind();
        TeacherConfig teacher = d.teacher();
        boolean openingsOnly = false;
        boolean synthetic = false;
        boolean syntheticOnly = false;
        int syntheticPerKind = d.syntheticPerKind();
        int syntheticSamples = d.syntheticSamples();
        Path rejected = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--lexicon" -> lexicon = Path.of(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--per-kind" -> perKind = Integer.parseInt(args[++i]);
                case "--test-per-kind" -> testPerKind = Integer.parseInt(args[++i]);
                case "--attempts" -> teacher = teacher.maxAttempts(Integer.parseInt(args[++i]));
                case "--batch" -> teacher = teacher.batchSize(Integer.parseInt(args[++i]));
                case "--openings-only" -> openingsOnly = true;
                case "--rejected" -> rejected = Path.of(args[++i]);
                case "--synthetic" -> synthetic = true;
                case "--synthetic-only" -> syntheticOnly = true;
                case "--synthetic-per-kind" -> syntheticPerKind = Integer.parseInt(args[++i]);
                case "--synthetic-samples" -> syntheticSamples = Integer.parseInt(args[++i]);
                case "--help", "-h" -> {
                    System.out.print(usage());
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (expected --model, --out, "
                        + "--lexicon, --seed, --per-kind, --test-per-kind, --attempts, --batch, --openings-only, --rejected FILE, "
                        + "--synthetic, --synthetic-only, --synthetic-per-kind N, --synthetic-samples K, --help)");
            }
        }
        Options o = new Options(seed, d.openingsTrain(), d.openingsTest(), perKind, testPerKind, teacher.seed(seed),
                d.syntheticSeed(), syntheticPerKind, syntheticSamples);
        Files.createDirectories(out);
        // The manifest records the options that shape the data; --rejected (a file for a look) does not.
        List<String> command = new ArrayList<>(List.of("bin/make-task-data"));
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--rejected")) i++; else command.add(args[i]);
        }
        String cmd = String.join(" ", command);
        if (!syntheticOnly) updateManifest(out, "openings", writeOpenings(out, o), cmd);
        if (!openingsOnly) {
            if (!Files.exists(model.resolve("model.safetensors"))) {
                throw new IllegalArgumentException("no teacher model at " + model + " (model.safetensors missing): "
                        + "pretrain it with bin/pretrain, pass --model DIR, or use --openings-only");
            }
            if (!syntheticOnly) updateManifest(out, "instructions", writeInstructions(out, model, lexicon, o, rejected), cmd);
            if (synthetic || syntheticOnly) updateManifest(out, "synthetic", writeSynthetic(out, model, lexicon, o), cmd);
        }
        System.out.println("wrote " + out.resolve(MANIFEST));
    }
}
