package dev.tunelab.align;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.tunelab.display.ProgressBar;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.track.Run;
import dev.tunelab.train.AdamW;
import dev.tunelab.train.Checkpoints;
import dev.tunelab.train.NonFiniteLossException;
import dev.tunelab.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Preference optimisation of a LoRA policy (DPO, IPO, ORPO, KTO), written out as a recipe: the
 * reference log-probabilities are computed once with the adapters disabled; then each step scores
 * a batch of pairs with the policy in one forward pass (chosen and rejected rows concatenated, as
 * TRL's {@code concatenated_forward}), takes the loss, clips the gradient norm and steps AdamW.
 * Metrics are logged under TRL's names to the run record; held-out metrics get an {@code eval_} prefix.
 */
public final class PreferenceTrainer {
    private PreferenceTrainer() {}

    /**
     * @param policy LoRA adapters on the reference model (only they train)
     * @param train preference pairs, visited in an order shuffled per epoch with the config's seed
     * @param eval held-out pairs (may be empty): rewards/accuracies and margins there
     */
    public static PreferenceResult fit(PeftModel policy, List<PreferencePair> train, List<PreferencePair> eval,
            PreferenceConfig cfg) {
        LlamaModel model = policy.model();
        Map<String, Parameter> params = model.trainableParameters();
        if (params.isEmpty()) {
            throw new IllegalArgumentException("the policy has no trainable parameters");
        }
        PreferenceMethod method = cfg.method;
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no preference pairs to train on");
        }
        boolean kto = method instanceof KtoLoss;
        if (kto && train.size() < 2) {
            throw new IllegalArgumentException("KTO's KL estimate pairs prompts with other pairs' completions: need at least 2 pairs");
        }
        ReferenceLogProbs trainRef = null;
        ReferenceLogProbs evalRef = null;
        if (method.needsReference()) {
            trainRef = ReferenceLogProbs.compute(policy, train, cfg.referenceBatchSize, kto);
            evalRef = eval.isEmpty() ? null : ReferenceLogProbs.compute(policy, eval, cfg.referenceBatchSize, kto);
        }
        Run run = null;
        try (AdamW optimizer = new AdamW(params, 0.9, 0.999, 1e-8, cfg.weightDecay)) {
            int start = 0;
            String runId = null;
            Optional<Checkpoints.Checkpoint> checkpoint = Checkpoints.latest(cfg.checkpointDir);
            if (checkpoint.isPresent()) {
                Checkpoints.restore(checkpoint.get(), params, optimizer);
                start = checkpoint.get().step();
                runId = (String) checkpoint.get().state().get("run_id");
            }
            Map<String, Object> recorded = new LinkedHashMap<>();
            recorded.put("train", cfg.toMap());
            recorded.put("model", model.config().toJson());
            recorded.put("adapter", policy.config().toString());
            recorded.put("pairs", train.size());
            recorded.put("eval_pairs", eval.size());
            Run.Builder builder = Run.builder(runId != null ? runId : cfg.runName).runsDir(cfg.runsDir).config(recorded);
            if (runId != null) {
                builder.id(runId).keepUpToStep(start);
            }
            run = builder.start();
            ProgressBar bar = cfg.progress ? ProgressBar.start(cfg.runName, cfg.steps) : null;

            Map<String, Double> last = Map.of();
            Map<String, Double> lastEval = Map.of();
            int step = start;
            model.train(true);
            while (step < cfg.steps) {
                double lr = cfg.lrSchedule().at(step);
                Engine.getInstance().setRandomSeed((int) (cfg.seed * 1_000_003L + step)); // dropout masks, as Trainer
                int[] rows = pairIndices(train.size(), cfg.batchSize, cfg.seed, step);
                double gradNorm;
                try (NDManager m = model.manager().newSubManager()) {
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        LossOutput out = loss(policy, method, train, trainRef, rows, m);
                        gc.backward(out.loss());
                        last = withLoss(out);
                    }
                    if (!Double.isFinite(last.get("loss"))) {
                        throw new NonFiniteLossException(step + 1, "loss", last.get("loss"));
                    }
                    gradNorm = Trainer.clipGradNorm(params, cfg.clipNorm);
                    if (!Double.isFinite(gradNorm)) {
                        throw new NonFiniteLossException(step + 1, "gradient norm", gradNorm);
                    }
                    optimizer.step(lr);
                    optimizer.zeroGrad();
                }
                step++;
                Map<String, Object> metrics = new LinkedHashMap<>();
                if (step % cfg.logEvery == 0 || step == cfg.steps) {
                    metrics.putAll(last);
                    metrics.put("lr", lr);
                    metrics.put("grad_norm", gradNorm);
                }
                if (!eval.isEmpty() && ((cfg.evalEvery > 0 && step % cfg.evalEvery == 0) || step == cfg.steps)) {
                    lastEval = evaluate(policy, method, eval, evalRef, cfg.referenceBatchSize);
                    lastEval.forEach((k, v) -> metrics.put("eval_" + k, v));
                }
                if (!metrics.isEmpty()) {
                    run.log(step, metrics);
                }
                if (bar != null) {
                    bar.step(step, Map.of("loss", last.get("loss"), "margin", last.get("rewards/margins")));
                }
                if (cfg.checkpointDir != null
                        && ((cfg.checkpointEvery > 0 && step % cfg.checkpointEvery == 0) || step == cfg.steps)) {
                    Map<String, Object> state = new LinkedHashMap<>();
                    state.put("run_id", run.id());
                    state.put("seed", cfg.seed);
                    Checkpoints.save(cfg.checkpointDir, step, params, optimizer, state, cfg.keepCheckpoints);
                }
            }
            if (bar != null) {
                bar.finish();
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("steps", step);
            last.forEach((k, v) -> summary.put("final_" + k, v));
            lastEval.forEach((k, v) -> summary.put("final_eval_" + k, v));
            run.summary(summary);
            run.finish(0);
            return new PreferenceResult(run, start, step, last, lastEval);
        } catch (IOException e) {
            finishFailed(run);
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            finishFailed(run);
            throw e;
        } finally {
            model.train(false);
        }
    }

    /**
     * The loss of the pairs at {@code rows}, with the policy's graph recorded when grad mode is on
     * ({@code ref} may be null for ORPO). One training step is this, backward, clipping and AdamW.
     */
    public static LossOutput loss(PeftModel policy, PreferenceMethod method, List<PreferencePair> pairs, ReferenceLogProbs ref,
            int[] rows, NDManager m) {
        LlamaModel model = policy.model();
        int b = rows.length;
        SequenceLogProbs lp = SequenceLogProbs.compute(model, PreferencePair.chosenThenRejected(pairs, rows), m);
        DataType dtype = lp.sum().getDataType();
        if (method instanceof OrpoLoss orpo) {
            return orpo.compute(lp.rows(0, b), lp.rows(b, 2 * b));
        }
        if (method instanceof DpoLoss dpo) {
            NDArray policyLogps = dpo.usesMeanLogProbs() ? lp.mean() : lp.sum();
            NDArray refChosen = values(m, ReferenceLogProbs.pick(dpo.usesMeanLogProbs() ? ref.chosenMean() : ref.chosenSum(), rows), dtype);
            NDArray refRejected = values(m, ReferenceLogProbs.pick(dpo.usesMeanLogProbs() ? ref.rejectedMean() : ref.rejectedSum(), rows), dtype);
            return dpo.compute(policyLogps.get("0:" + b), policyLogps.get(b + ":"), refChosen, refRejected);
        }
        KtoLoss kto = (KtoLoss) method;
        // The pairs unpaired (TRL's unpair_preference_dataset): chosen completions desirable, rejected ones not.
        boolean[] desirable = new boolean[2 * b];
        Arrays.fill(desirable, 0, b, true);
        float[] reference = concat(ReferenceLogProbs.pick(ref.chosenSum(), rows), ReferenceLogProbs.pick(ref.rejectedSum(), rows));
        float[] referenceKl = concat(ReferenceLogProbs.pick(ref.klChosen(), rows), ReferenceLogProbs.pick(ref.klRejected(), rows));
        // Each prompt with another pair's completions, for the KL estimate.
        List<PreferencePair> klPairs = new ArrayList<>();
        for (int r : rows) {
            PreferencePair other = ReferenceLogProbs.mismatched(pairs, r);
            klPairs.add(new PreferencePair(pairs.get(r).prompt(), other.chosen(), other.rejected()));
        }
        CompletionBatch klBatch = PreferencePair.chosenThenRejected(klPairs, java.util.stream.IntStream.range(0, b).toArray());
        // TRL computes the policy's KL log-probabilities without gradient: z0 is a detached reference point.
        SequenceLogProbs policyKl = Autograd.noGrad(() -> SequenceLogProbs.compute(model, klBatch, m));
        return kto.compute(lp.sum(), values(m, reference, dtype), desirable, policyKl.sum(), values(m, referenceKl, dtype));
    }

    /** Metrics averaged over the held-out pairs (batch means weighted by batch size), without gradient or dropout. */
    static Map<String, Double> evaluate(PeftModel policy, PreferenceMethod method, List<PreferencePair> pairs,
            ReferenceLogProbs ref, int batchSize) {
        LlamaModel model = policy.model();
        boolean wasTraining = model.isTraining();
        model.train(false);
        try {
            Map<String, Double> total = new LinkedHashMap<>();
            for (int from = 0; from < pairs.size(); from += batchSize) {
                int[] rows = IntStream.range(from, Math.min(from + batchSize, pairs.size())).toArray();
                Map<String, Double> batch = Autograd.noGrad(() -> {
                    try (NDManager m = model.manager().newSubManager()) {
                        return withLoss(loss(policy, method, pairs, ref, rows, m));
                    }
                });
                batch.forEach((k, v) -> total.merge(k, v * rows.length, Double::sum));
            }
            total.replaceAll((k, v) -> v / pairs.size());
            return total;
        } finally {
            model.train(wasTraining);
        }
    }

    /**
     * Which pairs make up step {@code step}'s batch: positions step * batch ... of an endless stream
     * of epochs, each a Fisher-Yates shuffle seeded by (seed, epoch), so a resumed run sees the same batches.
     */
    static int[] pairIndices(int n, int batchSize, long seed, int step) {
        int[] rows = new int[batchSize];
        int[] order = null;
        long orderEpoch = -1;
        for (int i = 0; i < batchSize; i++) {
            long position = (long) step * batchSize + i;
            long epoch = position / n;
            if (epoch != orderEpoch) {
                order = shuffled(n, seed, epoch);
                orderEpoch = epoch;
            }
            rows[i] = order[(int) (position % n)];
        }
        return rows;
    }

    private static int[] shuffled(int n, long seed, long epoch) {
        int[] order = IntStream.range(0, n).toArray();
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static Map<String, Double> withLoss(LossOutput out) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", (double) LogSpace.values(out.loss())[0]);
        m.putAll(out.metrics());
        return m;
    }

    private static NDArray values(NDManager m, float[] v, DataType dtype) {
        return m.create(v).toType(dtype, false);
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void finishFailed(Run run) {
        if (run != null) {
            run.finish(1);
        }
    }
}
