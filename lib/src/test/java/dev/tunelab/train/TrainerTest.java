package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    /** Counting modulo 32 from random starts: each next token is fully determined by the previous one. */
    static long[] countingStream(int length) {
        long[] t = new long[length];
        java.util.Random r = new java.util.Random(1);
        int i = 0;
        while (i < length) {
            int start = r.nextInt(32);
            int run = 5 + r.nextInt(20);
            for (int k = 0; k < run && i < length; k++) {
                t[i++] = (start + k) % 32;
            }
        }
        return t;
    }

    static LlamaConfig config() {
        // attention dropout on: resuming must reproduce the dropout masks too
        return LlamaConfig.builder().vocabSize(32).hiddenSize(32).intermediateSize(64).layers(2).heads(4).kvHeads(2)
                .maxPositions(64).tieWordEmbeddings(false).attentionDropout(0.1).build();
    }

    static TrainConfig trainConfig(Path tmp) {
        return new TrainConfig().steps(200).learningRate(3e-3).warmup(10).logEvery(1).evalEvery(50)
                .runsDir(tmp.resolve("runs")).progress(false).seed(5);
    }

    @Test
    void learnsTheTaskAndResumesToTheSameCurve(@TempDir Path tmp) throws Exception {
        BatchSource train = new TokenWindows(countingStream(20_000), 8, 24, 11);
        BatchSource eval = new TokenWindows(countingStream(5_000), 8, 24, 99);

        TrainResult straight;
        try (LlamaModel model = LlamaModel.create(config(), 1)) {
            straight = Trainer.fit(model, train, eval, trainConfig(tmp).checkpointDir(tmp.resolve("ck-a")).checkpointEvery(100));
        }
        // The successor rule is learnable exactly; run starts (~1 in 14.5 positions, ln 32 each) set a floor near 0.25.
        assertTrue(straight.finalEvalLoss() < 0.6, "eval loss " + straight.finalEvalLoss());
        // The best weights are those of the lowest logged held-out loss.
        double lowest = straight.run().history().stream().filter(h -> h.containsKey("eval_loss"))
                .mapToDouble(h -> ((Number) h.get("eval_loss")).doubleValue()).min().orElseThrow();
        assertEquals(lowest, Checkpoints.best(tmp.resolve("ck-a")).orElseThrow().evalLoss(), 0);
        assertEquals(lowest, ((Number) straight.run().summary().get("best_eval_loss")).doubleValue(), 0);
        double first = (double) straight.run().history().get(0).get("loss");
        assertTrue(first > 3.0, "initial loss should be near ln(32)=3.47, was " + first);

        // Interrupted after step 100, then a fresh process state resumes from the checkpoint.
        Path ck = tmp.resolve("ck-b");
        try (LlamaModel model = LlamaModel.create(config(), 1)) {
            TrainResult half = Trainer.fit(model, train, eval, trainConfig(tmp).checkpointDir(ck).stopAfter(100));
            assertEquals(100, half.endStep());
        }
        TrainResult resumed;
        try (LlamaModel model = LlamaModel.create(config(), 999)) { // different init: everything must come from the checkpoint
            resumed = Trainer.fit(model, train, eval, trainConfig(tmp).checkpointDir(ck));
        }
        assertEquals(100, resumed.startStep());
        List<Map<String, Object>> a = straight.run().history();
        List<Map<String, Object>> b = resumed.run().history();
        assertEquals(a.size(), b.size(), "resumed run history covers every step once");
        for (int i = 0; i < a.size(); i++) {
            assertEquals(((Number) a.get(i).get("step")).longValue(), ((Number) b.get(i).get("step")).longValue());
            assertEquals(((Number) a.get(i).get("loss")).doubleValue(), ((Number) b.get(i).get("loss")).doubleValue(), 1e-6,
                    "loss at step " + a.get(i).get("step"));
        }
        // The run record on disk: config with seed and fingerprint, one history line per step.
        Path runDir = resumed.run().dir();
        assertTrue(Files.readString(runDir.resolve("config.json")).contains(train.fingerprint()));
        assertEquals(200, Files.readAllLines(runDir.resolve("history.jsonl")).size());
        try (Stream<Path> s = Files.list(ck)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains("partial")));
        }
    }

    @Test
    void nanGuardNamesTheStep(@TempDir Path tmp) {
        BatchSource train = new TokenWindows(countingStream(2_000), 4, 16, 1);
        try (LlamaModel model = LlamaModel.create(config(), 1)) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(NonFiniteLossException.class,
                    () -> Trainer.fit(model, train, null, new TrainConfig().steps(20).learningRate(1e30).clipNorm(0)
                            .schedule(LrSchedule.Kind.CONSTANT).runsDir(null).progress(false)));
            assertTrue(e.getMessage().contains("at step " + e.step()), e.getMessage());
            assertTrue(e.step() > 1 && e.step() <= 20);
        }
    }
}
