package dev.tunelab.train;

import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.track.RunSink;
import dev.tunelab.track.WandbSettings;
import java.nio.file.Path;
import java.util.Map;

/**
 * The training process {@link CrashSafetyTest} kills: a tiny model trained with a checkpoint
 * after every step (so kills land in checkpoint writes), resuming from the newest complete
 * checkpoint. Prints {@code step <n> <loss>} after each step, before that step's checkpoint.
 *
 * <p>Arguments: checkpoint folder, runs folder, steps.
 */
public final class CrashSafetyChild {
    private CrashSafetyChild() {}

    static LlamaConfig config() {
        // attention dropout on: the resumed run must redraw the same masks
        return LlamaConfig.builder().vocabSize(32).hiddenSize(16).intermediateSize(32).layers(1).heads(2).kvHeads(1)
                .maxPositions(32).tieWordEmbeddings(false).attentionDropout(0.1).build();
    }

    public static void main(String[] args) {
        Path checkpoints = Path.of(args[0]);
        Path runs = Path.of(args[1]);
        int steps = Integer.parseInt(args[2]);
        RunSink printer = new RunSink() {
            @Override
            public void history(long step, Map<String, Object> metrics) {
                System.out.println("step " + step + " " + metrics.get("loss"));
                System.out.flush();
            }
        };
        BatchSource train = new TokenWindows(TrainerTest.countingStream(4_000), 4, 16, 11);
        try (LlamaModel model = LlamaModel.create(config(), 1)) {
            Trainer.fit(model, train, null, new TrainConfig().steps(steps).learningRate(3e-3).warmup(5).logEvery(1)
                    .checkpointDir(checkpoints).checkpointEvery(1).keepCheckpoints(2).seed(5)
                    .runsDir(runs).runName("crash").sink(printer).wandb(WandbSettings.disabled()).progress(false));
        }
        System.out.println("done");
    }
}
