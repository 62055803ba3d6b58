package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.align.DpoLoss;
import dev.tunelab.align.GrpoConfig;
import dev.tunelab.align.GrpoTrainer;
import dev.tunelab.align.OnlineDpoConfig;
import dev.tunelab.align.OnlineDpoTrainer;
import dev.tunelab.align.RlooConfig;
import dev.tunelab.align.RlooTrainer;
import dev.tunelab.align.SimpoLoss;
import dev.tunelab.align.KtoLoss;
import dev.tunelab.align.PpoConfig;
import dev.tunelab.align.PpoTrainer;
import dev.tunelab.align.PreferenceConfig;
import dev.tunelab.align.PreferencePair;
import dev.tunelab.align.PreferenceTrainer;
import dev.tunelab.align.RewardConfig;
import dev.tunelab.eval.RewardFunction;
import dev.tunelab.align.RewardModel;
import dev.tunelab.align.RewardTrainer;
import dev.tunelab.distill.DistillConfig;
import dev.tunelab.distill.Distiller;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.peft.TinyModels;
import dev.tunelab.track.RunInfo;
import dev.tunelab.track.RunSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every trainer promises, checked on each of them (SFT, full fine-tuning, reward
 * model, DPO, KTO, SimPO, PPO, GRPO, RLOO, online DPO, distillation) on tiny models: a non-finite loss stops the run before
 * a bad checkpoint; stopping after k steps and resuming gives the uninterrupted run's numbers;
 * k micro-batches of b equal one batch of k x b; the run config holds the technique and adapter
 * settings when the run starts; the best held-out loss is in the summary and best/ loads; a
 * setting the trainer cannot honour is refused, by name.
 */
class TrainingContractTest {
    /** One trainer under test: runs it on fresh models from fixed seeds and returns what it did. */
    interface Case {
        String name();

        /** Whether the trainer has held-out data to evaluate (and so a best/). */
        boolean evaluates();

        /** The metric whose values a resumed run must reproduce. */
        String metric();

        /** Micro-batch rows of a run; PPO and GRPO size their minibatches themselves and ignore it. */
        int batch();

        /** Runs the trainer with micro-batches of {@code batch} rows; {@code poison} makes its loss non-finite from step 1. */
        Outcome train(UnaryOperator<TrainConfig> cfg, int batch, boolean poison);

        default Outcome run(UnaryOperator<TrainConfig> cfg, boolean poison) {
            return train(cfg, batch(), poison);
        }

        /** Runs the trainer with micro-batches of {@code batch} rows, and returns the weights after. */
        default Map<String, float[]> weightsAfter(UnaryOperator<TrainConfig> cfg, int batch) {
            return train(cfg, batch, false).weights();
        }
    }

    /** A finished run and the trained weights. */
    record Outcome(TrainResult result, Map<String, float[]> weights) {}

    static Stream<Named<Case>> trainers() {
        return Stream.<Case>of(new Sft(false), new Sft(true), new Reward(), new Preference(DpoLoss.sigmoid(0.5)),
                new Preference(KtoLoss.of(0.5)), new Preference(new SimpoLoss(2.0, 0.5)), new Distill(), new Ppo(), new Grpo(),
                new Rloo(), new OnlineDpo()).map(c -> Named.of(c.name(), c));
    }

    static TrainConfig quiet(TrainConfig c) {
        return c.runsDir(null).progress(false).logEvery(1).seed(3);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trainers")
    void aNonFiniteLossStopsTheRunBeforeABadCheckpoint(Case c, @TempDir Path dir) throws Exception {
        Path ck = dir.resolve("ck");
        var e = assertThrows(NonFiniteLossException.class,
                () -> c.run(t -> t.steps(3).checkpointDir(ck).checkpointEvery(1), true), c.name());
        assertTrue(e.getMessage().contains("step 1"), c.name() + ": " + e.getMessage());
        assertTrue(Checkpoints.latest(ck).isEmpty(), c.name() + ": no checkpoint of poisoned weights");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trainers")
    void stoppedAfterTwoStepsAndResumedItGivesTheUninterruptedNumbers(Case c, @TempDir Path dir) {
        Outcome straight = c.run(t -> t.steps(4), false);
        Path ck = dir.resolve("ck");
        Path runs = dir.resolve("runs"); // the resumed run reads the first part's history back from its record
        Outcome half = c.run(t -> t.steps(4).checkpointDir(ck).runsDir(runs).stopAfter(2), false);
        assertEquals(2, half.result().endStep(), c.name());
        Outcome resumed = c.run(t -> t.steps(4).checkpointDir(ck).runsDir(runs), false);
        assertEquals(half.result().run().id(), resumed.result().run().id(), c.name() + ": the same run record goes on");
        assertEquals(2, resumed.result().startStep(), c.name());
        List<Double> a = series(straight.result(), c.metric());
        List<Double> b = series(resumed.result(), c.metric());
        assertEquals(4, a.size(), c.name());
        assertEquals(a.size(), b.size(), c.name() + ": the resumed run's history covers every step once");
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i), b.get(i), 1e-5 * Math.max(1, Math.abs(a.get(i))), c.name() + " " + c.metric() + " at step " + (i + 1));
        }
        straight.weights().forEach((name, w) ->
                assertArrayEquals(w, resumed.weights().get(name), 1e-5f, c.name() + ": " + name));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trainers")
    void theRunConfigHoldsTheTechniqueAndAdapterSettingsWhenTheRunStarts(Case c) {
        List<Map<String, Object>> atStart = new ArrayList<>();
        RunSink sink = new RunSink() {
            @Override
            public void started(RunInfo info) {
                atStart.add(info.config());
            }
        };
        c.run(t -> t.steps(1).sink(sink).config("owner", "contract-test"), false);
        Map<String, Object> config = atStart.get(0);
        assertNotNull(config.get("technique"), c.name());
        assertTrue(config.get("train") instanceof Map<?, ?> train && train.get("steps").equals(1), c.name());
        assertEquals("contract-test", config.get("owner"), c.name());
        if (!c.name().equals("full fine-tuning")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> adapter = (Map<String, Object>) config.get("adapter");
            assertNotNull(adapter, c.name() + ": adapter settings at step 1");
            assertEquals("LORA", adapter.get("peft_type"), c.name());
            assertEquals(4, ((Number) adapter.get("r")).intValue(), c.name());
        }
        String technique = (String) config.get("technique");
        if (!technique.equals("sft")) {
            assertTrue(config.containsKey(technique), c.name() + ": the technique's own settings under '" + technique + "'");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trainers")
    void theBestHeldOutLossIsInTheSummaryAndBestLoads(Case c, @TempDir Path dir) throws Exception {
        if (!c.evaluates()) {
            var e = assertThrows(IllegalArgumentException.class, () -> c.run(t -> t.steps(2).evalEvery(1), false));
            assertTrue(e.getMessage().contains("evalEvery"), c.name() + ": " + e.getMessage());
            return;
        }
        Path ck = dir.resolve("ck");
        TrainResult r = c.run(t -> t.steps(4).evalEvery(1).checkpointDir(ck).checkpointEvery(1).keepCheckpoints(4), false).result();
        List<Double> evalLosses = series(r, "eval_loss");
        assertEquals(4, evalLosses.size(), c.name());
        double lowest = evalLosses.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        int lowestStep = evalLosses.indexOf(lowest) + 1;
        assertEquals(lowest, ((Number) r.run().summary().get("best_eval_loss")).doubleValue(), 0, c.name());
        assertEquals(lowestStep, ((Number) r.run().summary().get("best_step")).intValue(), c.name());
        assertEquals(lowest, r.bestEvalLoss(), 0, c.name());
        assertEquals(lowestStep, Checkpoints.best(ck).orElseThrow().step(), c.name());
        Path best = ck.resolve(Checkpoints.BEST);
        // best/ holds the weights of the best step, byte for byte those its step checkpoint saved
        String weights = c.name().equals("full fine-tuning") ? "model.safetensors" : "adapter_model.safetensors";
        assertArrayEquals(Files.readAllBytes(ck.resolve(Checkpoints.stepFolder(lowestStep)).resolve(weights)),
                Files.readAllBytes(best.resolve(weights)), c.name() + ": best/ holds step " + lowestStep + "'s weights");
        if (c.name().equals("full fine-tuning")) {
            try (LlamaModel loaded = LlamaModel.load(best)) {
                assertEquals(TinyModels.config().vocabSize(), loaded.config().vocabSize());
            }
        } else {
            assertTrue(Files.exists(best.resolve("adapter_config.json")), c.name() + ": best/ is a PEFT adapter folder");
            try (LlamaModel base = base(11)) {
                assertNotNull(PeftModel.load(base, best), c.name());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trainers")
    void microBatchesOfBEqualOneBatchOfKTimesB(Case c) {
        if (c instanceof Preference p && p.method() instanceof KtoLoss) {
            return; // KTO's reference point z0 is a batch statistic, estimated per micro-batch as TRL does: not additive
        }
        if (c instanceof Ppo || c instanceof Grpo || c instanceof Rloo || c instanceof OnlineDpo) {
            var e = assertThrows(IllegalArgumentException.class, () -> c.run(t -> t.steps(1).gradAccumulation(2), false));
            assertTrue(e.getMessage().contains("gradient_accumulation_steps=2"), c.name() + ": " + e.getMessage());
            return;
        }
        Map<String, float[]> accumulated = c.weightsAfter(t -> t.steps(2).gradAccumulation(2), 2);
        Map<String, float[]> whole = c.weightsAfter(t -> t.steps(2), 4);
        assertFalse(accumulated.isEmpty());
        whole.forEach((name, w) -> assertArrayEquals(w, accumulated.get(name), 2e-5f, c.name() + ": " + name));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trainers")
    void aSettingItCannotHonourIsRefusedByNameBeforeAnyStep(Case c) {
        if (c instanceof Sft || c instanceof Distill) {
            return; // the language-modelling trainers honour every TrainConfig setting
        }
        // preference and reward trainers score every held-out pair; PPO and GRPO have no held-out data
        var e = assertThrows(IllegalArgumentException.class, () -> c.run(t -> t.steps(1).evalBatches(2), false));
        assertTrue(e.getMessage().contains("cannot honour eval_batches=2"), c.name() + ": " + e.getMessage());
    }

    @Test
    void configsAreImmutableSoARunCannotBeChangedUnderIt() {
        TrainConfig a = new TrainConfig().steps(10);
        TrainConfig b = a.steps(20).gradAccumulation(2);
        assertEquals(10, a.steps());
        assertEquals(1, a.gradAccumulation());
        assertEquals(20, b.steps());
        var e = assertThrows(IllegalArgumentException.class,
                () -> b.refuse("ppo", Map.of("gradient_accumulation_steps", "minibatches", "learning_rate", "never")));
        assertEquals("ppo cannot honour gradient_accumulation_steps=2 (minibatches)", e.getMessage());
    }

    // ---- the trainers ------------------------------------------------------------------------

    static LlamaModel base(long seed) {
        return TinyModels.model(seed);
    }

    static PeftModel lora(LlamaModel model) {
        return Lora.apply(model, LoraConfig.builder().r(4).alpha(8).allLinear().seed(1).build());
    }

    static Map<String, float[]> snapshot(Map<String, Parameter> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((n, p) -> out.put(n, p.data().toType(DataType.FLOAT32, false).toFloatArray()));
        return out;
    }

    /** Makes a LoRA B matrix NaN: the adapter's output, and so the loss, is NaN from the first forward pass. */
    static void poison(PeftModel peft) {
        Parameter b = peft.adapterParameters("default").entrySet().stream()
                .filter(e -> e.getKey().contains("lora_B")).findFirst().orElseThrow().getValue();
        float[] nan = new float[(int) b.size()];
        Arrays.fill(nan, Float.NaN);
        b.set(b.data().getManager().create(nan, b.data().getShape()).toType(b.data().getDataType(), false));
    }

    static List<Double> series(TrainResult r, String metric) {
        return r.run().history().stream().filter(h -> h.get(metric) instanceof Number)
                .map(h -> ((Number) h.get(metric)).doubleValue()).toList();
    }

    /**
     * Language-model batches of 8 tokens whose labelled tokens differ in number (a prompt of 1 to
     * 5 tokens is masked), so token weighting of micro-batches matters. Batch i of size b holds
     * rows i*b ... i*b+b-1 of one endless row stream, so 2 micro-batches of 2 are a batch of 4.
     */
    static BatchSource rows(int batchSize, long seed) {
        return new BatchSource() {
            @Override
            public Batch batch(long index) {
                long[][] ids = new long[batchSize][8];
                long[][] labels = new long[batchSize][8];
                long[][] mask = new long[batchSize][8];
                for (int r = 0; r < batchSize; r++) {
                    Random random = new Random(seed * 1_000 + index * batchSize + r);
                    int prompt = 1 + random.nextInt(5);
                    for (int t = 0; t < 8; t++) {
                        ids[r][t] = random.nextInt(32);
                        labels[r][t] = t < prompt ? Losses.IGNORE_INDEX : ids[r][t];
                        mask[r][t] = 1;
                    }
                }
                return new Batch(ids, labels, mask);
            }

            @Override
            public String fingerprint() {
                return "rows-" + batchSize + "-" + seed;
            }
        };
    }

    static List<PreferencePair> markerPairs(int n, long seed) {
        return dev.tunelab.align.PreferenceTrainerTest.markerPairs(n, seed);
    }

    /** SFT of a LoRA adapter, or full fine-tuning of every weight. */
    record Sft(boolean full) implements Case {
        public String name() { return full ? "full fine-tuning" : "sft"; }
        public boolean evaluates() { return true; }
        public String metric() { return "loss"; }
        public int batch() { return 2; }

        public Outcome train(UnaryOperator<TrainConfig> cfg, int batch, boolean poison) {
            try (LlamaModel model = base(11)) {
                TrainConfig tc = cfg.apply(quiet(new TrainConfig().learningRate(1e-2)));
                BatchSource eval = tc.evalEvery() > 0 ? rows(4, 99) : null;
                if (full) {
                    if (poison) {
                        Parameter w = model.namedParameters().get("model.norm.weight");
                        float[] nan = new float[(int) w.size()];
                        Arrays.fill(nan, Float.NaN);
                        w.set(model.manager().create(nan, w.data().getShape()));
                    }
                    TrainResult r = Trainer.fit(model, rows(batch, 1), eval, tc);
                    return new Outcome(r, snapshot(model.trainableParameters()));
                }
                PeftModel peft = lora(model);
                if (poison) {
                    poison(peft);
                }
                TrainResult r = Trainer.fit(peft, rows(batch, 1), eval, tc);
                return new Outcome(r, snapshot(model.trainableParameters()));
            }
        }
    }

    /** Reward model: LoRA and a score head on the Bradley-Terry loss. */
    record Reward() implements Case {
        public String name() { return "reward model"; }
        public boolean evaluates() { return true; }
        public String metric() { return "loss"; }
        public int batch() { return 4; }

        public Outcome train(UnaryOperator<TrainConfig> cfg, int batch, boolean poison) {
            try (LlamaModel model = base(11)) {
                PeftModel peft = lora(model);
                if (poison) {
                    poison(peft);
                }
                RewardModel rm = new RewardModel(peft, null, 2);
                RewardConfig rc = new RewardConfig().batchSize(batch).train(t -> cfg.apply(quiet(t)));
                boolean eval = rc.train().evalEvery() > 0;
                TrainResult r = RewardTrainer.fit(rm, markerPairs(16, 1), eval ? markerPairs(8, 2) : List.of(), rc);
                Map<String, float[]> weights = snapshot(model.trainableParameters());
                weights.putAll(snapshot(rm.head().parameters()));
                rm.head().close();
                return new Outcome(r, weights);
            }
        }
    }

    /** The DPO family on a LoRA policy (DPO, KTO). */
    record Preference(dev.tunelab.align.PreferenceMethod method) implements Case {
        public String name() { return method.label(); }
        public boolean evaluates() { return true; }
        public String metric() { return "loss"; }
        public int batch() { return 4; }

        public Outcome train(UnaryOperator<TrainConfig> cfg, int batch, boolean poison) {
            try (LlamaModel model = base(11)) {
                PeftModel peft = lora(model);
                List<PreferencePair> train = markerPairs(16, 1);
                PreferenceConfig pc = new PreferenceConfig(method).batchSize(batch).train(t -> cfg.apply(quiet(t.learningRate(2e-2))));
                boolean eval = pc.train().evalEvery() > 0;
                if (poison) {
                    poison(peft); // after the reference log-probabilities, which are the base model's
                }
                TrainResult r = PreferenceTrainer.fit(peft, train, eval ? markerPairs(8, 2) : List.of(), pc);
                return new Outcome(r, snapshot(model.trainableParameters()));
            }
        }
    }

    /** Logit distillation of a LoRA student from a teacher run on the fly, alpha 0.5. */
    record Distill() implements Case {
        public String name() { return "distill"; }
        public boolean evaluates() { return true; }
        public String metric() { return "loss"; }
        public int batch() { return 2; }

        public Outcome train(UnaryOperator<TrainConfig> cfg, int batch, boolean poison) {
            try (LlamaModel teacher = base(5); LlamaModel model = base(11)) {
                PeftModel peft = lora(model);
                if (poison) {
                    poison(peft);
                }
                DistillConfig dc = new DistillConfig().alpha(0.5).temperature(2)
                        .train(cfg.apply(quiet(new TrainConfig().learningRate(1e-2))));
                BatchSource eval = dc.train().evalEvery() > 0 ? rows(4, 99) : null;
                TrainResult r = Distiller.fit(peft, teacher, rows(batch, 1), eval, dc);
                return new Outcome(r, snapshot(model.trainableParameters()));
            }
        }
    }

    /** A reward for the RL trainers; NaN when poisoned, which makes their loss NaN. */
    static RewardFunction countThe(boolean poison) {
        return (prompt, completion) -> poison ? Double.NaN
                : (double) Arrays.stream(completion.toLowerCase().split("[^a-z]+")).filter("the"::equals).count();
    }

    static final List<String> PROMPTS = List.of("Once upon a time", "Tom had a dog", "The sun was", "Lily saw a");

    /** PPO of a LoRA policy with a value head on tinystories-mini. */
    record Ppo() implements Case {
        public String name() { return "ppo"; }
        public boolean evaluates() { return false; }
        public String metric() { return "objective/scores"; }
        public int batch() { return 4; }

        public Outcome train(UnaryOperator<TrainConfig> cfg, int batch, boolean poison) {
            try (LanguageModel lm = Models.load(dev.tunelab.align.PpoTrainerTest.modelDir())) {
                PeftModel policy = lora(lm.model());
                PpoConfig pc = new PpoConfig().batchSize(4).miniBatchSize(2).ppoEpochs(1).maxNewTokens(6).fixedKl(0.02)
                        .train(t -> cfg.apply(quiet(t.learningRate(3e-3))));
                PpoTrainer.PpoResult r = PpoTrainer.fit(policy, lm.tokenizer(), PROMPTS, countThe(poison), pc);
                Map<String, float[]> weights = snapshot(lm.model().trainableParameters());
                weights.putAll(snapshot(r.valueHead().parameters()));
                r.valueHead().close();
                return new Outcome(r.training(), weights);
            }
        }
    }

    /** GRPO of a LoRA policy on tinystories-mini. */
    record Grpo() implements Case {
        public String name() { return "grpo"; }
        public boolean evaluates() { return false; }
        public String metric() { return "loss"; }
        public int batch() { return 4; }

        public Outcome train(UnaryOperator<TrainConfig> cfg, int batch, boolean poison) {
            try (LanguageModel lm = Models.load(dev.tunelab.align.PpoTrainerTest.modelDir())) {
                PeftModel policy = lora(lm.model());
                GrpoConfig gc = new GrpoConfig().promptsPerStep(2).groupSize(2).miniBatchSize(4).maxNewTokens(6).beta(0.02)
                        .train(t -> cfg.apply(quiet(t.learningRate(3e-3))));
                TrainResult r = GrpoTrainer.fit(policy, lm.tokenizer(), PROMPTS, countThe(poison), gc);
                return new Outcome(r, snapshot(lm.model().trainableParameters()));
            }
        }
    }

    /** RLOO of a LoRA policy on tinystories-mini, k = 2. */
    record Rloo() implements Case {
        public String name() { return "rloo"; }
        public boolean evaluates() { return false; }
        public String metric() { return "loss/policy_avg"; }
        public int batch() { return 4; }

        public Outcome train(UnaryOperator<TrainConfig> cfg, int batch, boolean poison) {
            try (LanguageModel lm = Models.load(dev.tunelab.align.PpoTrainerTest.modelDir())) {
                PeftModel policy = lora(lm.model());
                RlooConfig rc = new RlooConfig().promptsPerStep(2).k(2).miniBatchSize(2).maxNewTokens(6).beta(0.02)
                        .train(t -> cfg.apply(quiet(t.learningRate(3e-3))));
                TrainResult r = RlooTrainer.fit(policy, lm.tokenizer(), PROMPTS, countThe(poison), rc);
                return new Outcome(r, snapshot(lm.model().trainableParameters()));
            }
        }
    }

    /** Online DPO of a LoRA policy on tinystories-mini, judged by the count-"the" reward. */
    record OnlineDpo() implements Case {
        public String name() { return "online-dpo"; }
        public boolean evaluates() { return false; }
        public String metric() { return "loss"; }
        public int batch() { return 4; }

        public Outcome train(UnaryOperator<TrainConfig> cfg, int batch, boolean poison) {
            try (LanguageModel lm = Models.load(dev.tunelab.align.PpoTrainerTest.modelDir())) {
                PeftModel policy = lora(lm.model());
                if (poison) {
                    poison(policy);
                }
                OnlineDpoConfig oc = new OnlineDpoConfig().promptsPerStep(3).maxNewTokens(6)
                        .train(t -> cfg.apply(quiet(t.learningRate(3e-3))));
                TrainResult r = OnlineDpoTrainer.fit(policy, lm.tokenizer(), PROMPTS, OnlineDpoTrainer.scoreJudge(countThe(false)), oc);
                return new Outcome(r, snapshot(lm.model().trainableParameters()));
            }
        }
    }

    static void assertArrayEquals(byte[] expected, byte[] actual, String message) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, message);
    }

    static void assertArrayEquals(float[] expected, float[] actual, float delta, String message) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, delta, message);
    }
}
