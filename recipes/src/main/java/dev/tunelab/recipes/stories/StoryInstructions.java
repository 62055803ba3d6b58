package dev.tunelab.recipes.stories;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.data.Dataset;
import dev.tunelab.data.Datasets;
import dev.tunelab.data.Row;
import dev.tunelab.eval.SentimentJudge;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.train.PromptTemplate;
import dev.tunelab.train.SftBatches;
import dev.tunelab.train.SftExample;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * The project's story-instruction set as the notebooks use it: the training and held-out rows of
 * {@code datasets/tasks/story-instructions-*.jsonl}, the prompt template the models are tuned
 * with, and the held-out tasks re-made from the manifest's seed with their verifiable checks
 * (checked to be exactly the tasks the held-out rows ask, and none of the training rows).
 *
 * <pre>{@code
 * var stories = StoryInstructions.load(Path.of("../datasets/tasks"));
 * var train = stories.trainBatches(tokenizer, 4, 400, 1);
 * var heldOut = stories.heldOutBatches(tokenizer, 400);
 * }</pre>
 */
public final class StoryInstructions {
    /** The template every notebook tunes and prompts with. */
    public static final PromptTemplate<SftExample> TEMPLATE = PromptTemplate.of("story-instruction",
            e -> "Instruction: " + e.instruction() + "\nStory:\n", SftExample::output);

    private final Path dir;
    private final Dataset<Row> trainRows;
    private final Dataset<Row> heldOutRows;
    private final List<StoryTask> heldOutTasks;

    private StoryInstructions(Path dir, Dataset<Row> trainRows, Dataset<Row> heldOutRows, List<StoryTask> heldOutTasks) {
        this.dir = dir;
        this.trainRows = trainRows;
        this.heldOutRows = heldOutRows;
        this.heldOutTasks = heldOutTasks;
    }

    /** Reads the rows and re-makes the held-out tasks from {@code MANIFEST.json} in {@code taskDir}. */
    public static StoryInstructions load(Path taskDir) {
        Dataset<Row> train = Datasets.json(taskDir.resolve("story-instructions-train.jsonl"));
        Dataset<Row> test = Datasets.json(taskDir.resolve("story-instructions-test.jsonl"));
        Path manifestFile = taskDir.resolve("MANIFEST.json");
        JsonNode manifest;
        try {
            manifest = new ObjectMapper().readTree(manifestFile.toFile()).get("instructions");
        } catch (IOException e) {
            throw new UncheckedIOException(manifestFile + ": " + e.getMessage(), e);
        }
        int heldOutCount = manifest.get("held_out_tasks_per_kind").asInt() * StoryTasks.KINDS.size();
        List<StoryTask> tasks = new StoryTasks(SentimentJudge.stories())
                .sample(manifest.get("tasks_per_kind").asInt(), manifest.get("seed").asLong()).subList(0, heldOutCount);
        // The held-out rows must be among these tasks and no training row may be: a check that the split was re-made.
        Set<String> heldOut = new HashSet<>();
        tasks.forEach(t -> heldOut.add(t.instruction()));
        if (!test.stream().allMatch(r -> heldOut.contains(r.get("instruction")))
                || train.stream().anyMatch(r -> heldOut.contains(r.get("instruction")))) {
            throw new IllegalStateException(manifestFile + ": the re-made held-out tasks do not match the held-out rows");
        }
        return new StoryInstructions(taskDir, train, test, List.copyOf(tasks));
    }

    public Dataset<Row> trainRows() {
        return trainRows;
    }

    public Dataset<Row> heldOutRows() {
        return heldOutRows;
    }

    /** The training rows as (instruction, story) examples. */
    public List<SftExample> train() {
        return examples(trainRows);
    }

    /** The held-out rows as (instruction, story) examples. */
    public List<SftExample> heldOut() {
        return examples(heldOutRows);
    }

    /** The held-out tasks with their checks, in the manifest's order (the held-out rows ask a subset of them). */
    public List<StoryTask> heldOutTasks() {
        return heldOutTasks;
    }

    /** The folder the set was read from. */
    public Path dir() {
        return dir;
    }

    /** Shuffled training batches of {@link #TEMPLATE}-encoded rows (loss on the story and EOS only). */
    public SftBatches trainBatches(Tokenizer tokenizer, int batchSize, int maxLength, long seed) {
        return SftBatches.builder(tokenizer, TEMPLATE, train()).batchSize(batchSize).maxLength(maxLength).seed(seed).build();
    }

    /** Held-out batches, in order, of the first {@code rows} held-out rows (all of them when rows exceeds their count). */
    public SftBatches heldOutBatches(Tokenizer tokenizer, int maxLength, int rows) {
        List<SftExample> examples = heldOut();
        return heldOutBatches(tokenizer, maxLength, examples.subList(0, Math.min(rows, examples.size())));
    }

    /** Held-out batches of every held-out row. */
    public SftBatches heldOutBatches(Tokenizer tokenizer, int maxLength) {
        return heldOutBatches(tokenizer, maxLength, heldOut());
    }

    /**
     * In order, with the largest batch size of at most 8 that divides the rows: a last batch that
     * wrapped around would count some rows twice in the held-out loss.
     */
    private static SftBatches heldOutBatches(Tokenizer tokenizer, int maxLength, List<SftExample> rows) {
        int batchSize = IntStream.rangeClosed(1, 8).filter(d -> rows.size() % d == 0).max().orElse(1);
        return SftBatches.builder(tokenizer, TEMPLATE, rows).batchSize(batchSize).maxLength(maxLength).shuffle(false).build();
    }

    private static List<SftExample> examples(Dataset<Row> rows) {
        return rows.stream().map(r -> SftExample.of(r.get("instruction"), r.get("output"))).toList();
    }

    @Override
    public String toString() {
        return "story instructions: " + trainRows.size() + " training rows, " + heldOutRows.size() + " held-out rows, "
                + heldOutTasks.size() + " held-out tasks";
    }
}
