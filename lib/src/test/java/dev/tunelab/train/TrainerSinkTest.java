package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.model.LlamaModel;
import dev.tunelab.track.RunSink;
import dev.tunelab.track.Trial;
import dev.tunelab.track.WandbSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer's run record feeds extra sinks, and a crash is recorded as a failed run. */
class TrainerSinkTest {
    static final class Probe implements RunSink {
        final List<Long> steps = new ArrayList<>();
        final List<Integer> exits = new ArrayList<>();

        @Override
        public void history(long step, Map<String, Object> metrics) {
            steps.add(step);
        }

        @Override
        public void finished(int exitCode) {
            exits.add(exitCode);
        }
    }

    @Test
    void extraConfigReachesTheSinksBeforeTheFirstStep(@TempDir Path tmp) {
        BatchSource train = new TokenWindows(TrainerTest.countingStream(2_000), 2, 8, 3);
        List<String> events = new ArrayList<>();
        RunSink sink = new RunSink() {
            @Override
            public void started(dev.tunelab.track.RunInfo info) {
                Map<String, Object> c = info.config();
                events.add("config " + c.get("lora") + " " + c.get("lr") + " " + c.get("sweep") + " " + c.get("trial"));
            }

            @Override
            public void config(Map<String, Object> config) {
                events.add("config changed");
            }

            @Override
            public void history(long step, Map<String, Object> metrics) {
                events.add("step " + step);
            }
        };
        Trial trial = new Trial("grid", 3, Map.of("lr", 0.01));
        try (LlamaModel model = LlamaModel.create(TrainerTest.config(), 1)) {
            var result = Trainer.fit(model, train, null, new TrainConfig().steps(2).logEvery(1).runsDir(tmp).progress(false)
                    .wandb(WandbSettings.disabled()).sink(sink).trial(trial).config("lora", Map.of("rank", 8)));
            assertEquals("grid-3", result.run().name());
            assertEquals(8, result.run().config().path("lora").path("rank").asInt());
            assertEquals(2, result.run().config().path("train").path("steps").asInt(), "the trainer's own config is kept");
        }
        // W&B gets the config when the run starts: the user's entries must be in it then, not added later.
        assertEquals("config {rank=8} 0.01 grid 3", events.get(0));
        assertEquals("step 1", events.get(1));
        var reserved = assertThrows(IllegalArgumentException.class, () -> new TrainConfig().config("train", Map.of()));
        assertTrue(reserved.getMessage().contains("'train'"), reserved.getMessage());
    }

    @Test
    void sinksGetEveryLoggedStepAndTheExitCode(@TempDir Path tmp) {
        BatchSource train = new TokenWindows(TrainerTest.countingStream(2_000), 2, 8, 3);
        Probe probe = new Probe();
        try (LlamaModel model = LlamaModel.create(TrainerTest.config(), 1)) {
            Trainer.fit(model, train, null, new TrainConfig().steps(4).logEvery(2).runsDir(tmp).progress(false)
                    .wandb(WandbSettings.disabled()).sink(probe));
        }
        assertEquals(List.of(2L, 4L), probe.steps);
        assertEquals(List.of(0), probe.exits);

        Probe crashed = new Probe();
        BatchSource failing = new BatchSource() {
            @Override
            public Batch batch(long index) {
                if (index >= 3) {
                    throw new IllegalStateException("data source broke at batch " + index);
                }
                return train.batch(index);
            }

            @Override
            public String fingerprint() {
                return "failing";
            }
        };
        try (LlamaModel model = LlamaModel.create(TrainerTest.config(), 1)) {
            assertThrows(IllegalStateException.class, () -> Trainer.fit(model, failing, null, new TrainConfig().steps(6)
                    .logEvery(1).runsDir(tmp).progress(false).wandb(WandbSettings.disabled()).sink(crashed)));
        }
        assertEquals(List.of(1L, 2L, 3L), crashed.steps);
        assertEquals(List.of(1), crashed.exits);
    }
}
