package dev.tunelab.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tunelab.display.ProgressBar;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.track.Run;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The one training loop every trainer runs on. A trainer (SFT, reward model, the DPO family, PPO,
 * GRPO, distillation) supplies only what differs: its loss, and for RL its rollouts, as a
 * {@link Step}. The loop owns the rest, in this order for each step:
 *
 * <ol>
 *   <li>the per-step seed (dropout masks are the same whether or not the run was resumed) and a
 *       step scope whose native memory is freed when the step ends;</li>
 *   <li>the trainer's step, which calls {@link Context#update} once per optimizer update:
 *       forward and backward over the micro-batches (gradient accumulation, weighted by the units
 *       each loss averages over), the non-finite guard, global-norm clipping, AdamW at the
 *       scheduled learning rate;</li>
 *   <li>logging to every sink of the run (local store, W&amp;B, the user's), the held-out
 *       evaluation with best tracking (always; with a checkpoint folder the best weights are saved
 *       as a loadable model or adapter folder), checkpoints and progress;</li>
 *   <li>at the end the summary (final and best metrics) and the run's finish, or, on any error,
 *       a run marked failed.</li>
 * </ol>
 *
 * A run started again with the same checkpoint folder resumes from its newest checkpoint: the same
 * run record, the same losses as if it had never stopped.
 */
public final class TrainingLoop {
    /** What a trainer does in one step; returns the metrics to log for it (TRL's names where it has them). */
    @FunctionalInterface
    public interface Step {
        Map<String, Double> run(Context s, int step);
    }

    /** One micro-batch's loss: a mean over its units (tokens, pairs, completions) and metrics to log. */
    @FunctionalInterface
    public interface MicroLoss {
        /** The loss with its graph recorded, or null to skip this update (PPO's early stop). */
        LossOutput compute(int micro, NDManager scope);
    }

    /** State of a trainer beyond its parameters that a resumed run needs (e.g. PPO's KL coefficient). */
    public interface TrainerState {
        Map<String, Object> save();

        void restore(Map<String, Object> saved);
    }

    private final String technique;
    private final TrainConfig cfg;
    private final LlamaModel model;
    private final PeftModel adapter;
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    /** Names of the parameters of a separate model (PPO's critic), clipped on their own. */
    private final java.util.Set<String> separatelyClipped = new java.util.HashSet<>();
    private final Map<String, Object> recorded = new LinkedHashMap<>();
    private Supplier<Map<String, Double>> evaluation;
    private TrainerState trainerState;
    private boolean dropout = true;
    private List<String> progressMetrics = List.of("loss");
    private List<String> charted = List.of("loss");
    private String fingerprint;

    private TrainingLoop(String technique, TrainConfig cfg, LlamaModel model, PeftModel adapter) {
        this.technique = Objects.requireNonNull(technique);
        this.cfg = Objects.requireNonNull(cfg, "train config");
        this.model = model;
        this.adapter = adapter;
        this.params.putAll(model.trainableParameters());
    }

    /** A loop training the model's trainable parameters (all of them for full fine-tuning). */
    public static TrainingLoop of(String technique, TrainConfig cfg, LlamaModel model) {
        return new TrainingLoop(technique, cfg, model, null);
    }

    /** A loop training an adapter: its settings are recorded from step 1, checkpoints are PEFT adapter folders. */
    public static TrainingLoop of(String technique, TrainConfig cfg, PeftModel adapter) {
        return new TrainingLoop(technique, cfg, adapter.model(), adapter);
    }

    /** Parameters outside the model that train too (a value or score head), named {@code prefix + name}. */
    public TrainingLoop parameters(String prefix, Map<String, Parameter> extra) {
        extra.forEach((name, p) -> params.put(prefix + name, p));
        return this;
    }

    /**
     * Parameters of a second model trained beside the first by the same optimizer (PPO's critic),
     * named {@code prefix + name}. Their gradient norm is clipped on its own, as actor and critic are
     * in OpenRLHF and in TRL's PPOTrainer with its separate value model: in one global norm, a critic
     * fitting large returns would scale the policy's update down to nothing. Logged as
     * {@code critic_grad_norm}.
     */
    public TrainingLoop separateParameters(String prefix, Map<String, Parameter> extra) {
        parameters(prefix, extra);
        extra.keySet().forEach(name -> separatelyClipped.add(prefix + name));
        return this;
    }

    /** The technique's own settings, recorded in the run config under the technique's name. */
    public TrainingLoop settings(Map<String, Object> settings) {
        recorded.put(technique, settings);
        return this;
    }

    /** One more fact in the run config (data sizes, the teacher's shape). */
    public TrainingLoop record(String key, Object value) {
        recorded.put(key, value);
        return this;
    }

    public TrainingLoop dataFingerprint(String v) {
        fingerprint = v;
        return this;
    }

    /**
     * Held-out metrics, run without gradient or dropout every {@code evalEvery} steps and at the
     * end; logged with an {@code eval_} prefix. Its {@code loss} selects the best weights.
     */
    public TrainingLoop evaluation(Supplier<Map<String, Double>> heldOut) {
        evaluation = heldOut;
        return this;
    }

    public TrainingLoop trainerState(TrainerState v) {
        trainerState = v;
        return this;
    }

    /** Whether the model trains with dropout (default true; PPO and GRPO turn it off so ratios start at 1). */
    public TrainingLoop dropout(boolean v) {
        dropout = v;
        return this;
    }

    /** The step metrics the progress bar shows (default {@code loss}, and the held-out loss). */
    public TrainingLoop progress(String... metrics) {
        progressMetrics = List.of(metrics);
        return this;
    }

    /** The metrics a result charts by step, one chart each with its held-out series (default {@code loss}). */
    public TrainingLoop chart(String... metrics) {
        charted = List.of(metrics);
        return this;
    }

    /** Fails, naming them, when any of these settings differs from its default ({@link TrainConfig#refuse}). */
    public TrainingLoop refuse(Map<String, String> settingsAndWhy) {
        cfg.refuse(technique, settingsAndWhy);
        return this;
    }

    /** Runs the steps from the newest checkpoint (or 0) to {@code cfg.steps()}. */
    public TrainResult run(Step body) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException(technique + ": the model has no trainable parameters"
                    + (adapter == null ? "" : " (the adapter's are frozen?)"));
        }
        params.forEach((name, p) -> {
            if (p.data().getDataType() != model.dtype()) {
                throw new IllegalArgumentException(technique + ": parameter '" + name + "' is stored as " + p.data().getDataType()
                        + " (the model was loaded with " + model.storage() + " weights) and AdamW trains " + model.dtype()
                        + " parameters: load with WeightStorage.FP32 to train every weight, or attach an adapter");
            }
        });
        if (evaluation == null && cfg.evalEvery() > 0) {
            throw new IllegalArgumentException(technique + " cannot honour evalEvery=" + cfg.evalEvery()
                    + " without held-out data");
        }
        Checkpointer checkpointer = cfg.checkpointDir() == null ? null
                : new Checkpointer(cfg.checkpointDir(), model, adapter, params, cfg.keepCheckpoints());
        boolean wasTraining = model.isTraining();
        boolean wasCheckpointing = model.gradientCheckpointing();
        double wasNeftune = model.neftuneAlpha();
        Map<String, Double> lrScales = loraPlusScales();
        if (cfg.neftuneAlpha() > 0 && !dropout) { // the noise is drawn in training mode only, which this loop does not use
            throw new IllegalArgumentException(technique + " cannot honour neftuneAlpha=" + cfg.neftuneAlpha()
                    + " (it trains in evaluation mode, without dropout, and NEFTune's noise applies in training mode only)");
        }
        model.setGradientCheckpointing(checkpointing());
        model.setNeftuneAlpha(cfg.neftuneAlpha());
        Run run = null;
        try (AdamW optimizer = new AdamW(params, cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay())) {
            lrScales.forEach(optimizer::lrScale);
            // Resume from the newest complete checkpoint, if asked and there is one.
            Optional<Checkpoints.Checkpoint> checkpoint = checkpointer != null && cfg.resume()
                    ? checkpointer.latest() : Optional.empty();
            int start = 0;
            String runId = null;
            Best best = new Best();
            if (checkpoint.isPresent()) {
                checkpointer.restore(checkpoint.get(), optimizer);
                start = checkpoint.get().step();
                runId = (String) checkpoint.get().state().get("run_id");
                if (trainerState != null) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> saved = (Map<String, Object>) checkpoint.get().state().get("trainer");
                    trainerState.restore(saved);
                }
                best = Best.read(cfg.checkpointDir());
            }
            Gradients.allocate(params); // before any activation, so they do not split the heap
            run = startRun(runId, start);
            ProgressBar bar = cfg.progress() ? ProgressBar.start(cfg.runName(), cfg.steps()) : null;
            LrSchedule schedule = cfg.lrSchedule();
            Context context = new Context(optimizer);
            Map<String, Double> last = Map.of();
            Map<String, Double> lastEval = Map.of();
            long startNanos = System.nanoTime();
            int step = start;
            model.train(dropout);
            while (step < cfg.steps()) {
                context.lr = schedule.at(step);
                context.step = step;
                // Dropout (and anything else drawing from PyTorch's generator) gets a seed per step.
                Engine.getInstance().setRandomSeed((int) (cfg.seed() * 1_000_003L + step));
                try (NDManager scope = model.manager().newSubManager()) {
                    context.scope = scope;
                    last = body.run(context, step);
                } finally {
                    context.scope = null;
                }
                step++;

                Map<String, Object> metrics = new LinkedHashMap<>();
                if (step % cfg.logEvery() == 0 || step == cfg.steps()) {
                    metrics.putAll(withLearningRate(last, context.lr));
                    if (context.tokens > 0) {
                        metrics.put("tokens_per_second", context.tokens / Math.max((System.nanoTime() - startNanos) / 1e9, 1e-9));
                    }
                }
                if (evaluation != null && ((cfg.evalEvery() > 0 && step % cfg.evalEvery() == 0) || step == cfg.steps())) {
                    lastEval = evaluate();
                    lastEval.forEach((k, v) -> metrics.put("eval_" + k, v));
                    Double evalLoss = lastEval.get("loss");
                    if (evalLoss != null && evalLoss < best.loss) {
                        best = new Best(evalLoss, step);
                        if (checkpointer != null) {
                            checkpointer.saveBest(step, evalLoss); // model selection, kept apart from the resumable checkpoints
                        }
                    }
                }
                if (!metrics.isEmpty()) {
                    run.log(step, metrics);
                }
                if (bar != null) {
                    bar.step(step, progressValues(last, lastEval));
                }
                // stopAfter simulates an interruption; a stop asked from the W&B UI ends the run the same clean way
                boolean interrupted = (cfg.stopAfter() > 0 && step >= cfg.stopAfter()) || run.stopRequested();
                if (checkpointer != null && ((cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0)
                        || step == cfg.steps() || interrupted)) {
                    // An update can overflow the weights while the loss that led to it was finite: never
                    // save those over the last good checkpoint.
                    List<String> broken = Gradients.nonFiniteValues(params);
                    if (!broken.isEmpty()) {
                        throw new NonFiniteLossException(step, "a weight after the update", Double.NaN, broken);
                    }
                    checkpointer.save(step, optimizer, checkpointState(run, step));
                }
                if (interrupted) {
                    break;
                }
            }
            if (bar != null) {
                bar.finish();
            }
            run.summary(summary(step, last, lastEval, best, context.summary));
            run.finish(0);
            return new TrainResult(technique, run, start, step, last, lastEval,
                    best.step > 0 ? best.loss : Double.NaN, best.step, context.summary, charted);
        } catch (IOException e) {
            failed(run);
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            failed(run); // the run record says the run failed (W&B marks it so) instead of staying "running"
            throw e;
        } finally {
            model.train(wasTraining);
            model.setGradientCheckpointing(wasCheckpointing);
            model.setNeftuneAlpha(wasNeftune);
        }
    }

    /**
     * LoRA+'s learning-rate factors: loraPlusRatio for B matrices and 1-D parameters, as PEFT's
     * create_loraplus_optimizer forms its groups ("lora_B" in the name or ndim == 1); empty when off.
     */
    private Map<String, Double> loraPlusScales() {
        Map<String, Double> out = new LinkedHashMap<>();
        if (cfg.loraPlusRatio() == 1) {
            return out;
        }
        if (params.keySet().stream().noneMatch(n -> n.contains(".lora_B."))) {
            throw new IllegalArgumentException(technique + " cannot honour loraPlusRatio=" + cfg.loraPlusRatio()
                    + " (LoRA+ raises the learning rate of LoRA's B matrices, and no trainable parameter is one: attach a LoRA adapter)");
        }
        params.forEach((name, p) -> {
            if (name.contains(".lora_B.") || p.data().getShape().dimension() == 1) {
                out.put(name, cfg.loraPlusRatio());
            }
        });
        return out;
    }

    /** TrainConfig's setting, or by default on exactly when the base is stored smaller than the compute dtype. */
    private boolean checkpointing() {
        return cfg.gradientCheckpointingFor(model.storage());
    }

    /** What a trainer's step can do: take optimizer updates, count tokens, add to the summary. */
    public final class Context {
        private final AdamW optimizer;
        private NDManager scope;
        private double lr;
        private int step;
        private long tokens;
        private final Map<String, Object> summary = new LinkedHashMap<>();

        private Context(AdamW optimizer) {
            this.optimizer = optimizer;
        }

        /** The step's scope: arrays made in it are freed when the step ends. */
        public NDManager scope() {
            return scope;
        }

        /** This step's learning rate. */
        public double learningRate() {
            return lr;
        }

        /** Tokens this step trained on (for tokens per second). */
        public void countTokens(long n) {
            tokens += n;
        }

        /** A value for the run's summary (e.g. PPO's early stops), replacing an earlier one. */
        public void summary(String key, Object value) {
            summary.put(key, value);
        }

        /** One optimizer update over the configured micro-batches, each weighing the same. */
        public Map<String, Double> update(MicroLoss loss) {
            double[] weights = new double[cfg.gradAccumulation()];
            Arrays.fill(weights, 1);
            return update(weights, loss);
        }

        /**
         * One optimizer update: for each micro-batch, forward and backward of its loss times
         * weight / total weight, so the accumulated gradient is that of the whole batch's mean
         * (weights are the units each loss averages over: tokens, pairs); then the non-finite
         * guard, global-norm clipping and AdamW. Returns the weighted mean of the loss and of each
         * metric, and {@code grad_norm} (before clipping); null when the loss asked to skip.
         */
        public Map<String, Double> update(double[] microWeights, MicroLoss loss) {
            double total = 0;
            for (double w : microWeights) {
                total += w;
            }
            Map<String, Double> metrics = new LinkedHashMap<>();
            for (int micro = 0; micro < microWeights.length; micro++) {
                double share = microWeights[micro] / total;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    model.clearCheckpoints();
                    LossOutput out = loss.compute(micro, scope);
                    if (out == null) {
                        if (microWeights.length > 1) {
                            throw new IllegalStateException("a loss can skip an update only without gradient accumulation");
                        }
                        return null;
                    }
                    NDArray l = out.loss();
                    // one micro-batch: its loss as it is (no rounding from a factor of 1)
                    gc.backward(microWeights.length == 1 ? l : l.mul(Autograd.scalar(l, share)));
                    model.backwardThroughCheckpoints(); // the layers a checkpointed forward ran without a graph
                    metrics.merge("loss", share * l.getFloat(), Double::sum);
                    out.metrics().forEach((k, v) -> metrics.merge(k, share * v, Double::sum));
                }
            }
            double value = metrics.get("loss");
            if (!Double.isFinite(value)) {
                throw new NonFiniteLossException(step + 1, "loss", value);
            }
            double gradNorm;
            if (separatelyClipped.isEmpty()) {
                gradNorm = Gradients.clipNorm(params, cfg.clipNorm());
            } else {
                Map<String, Parameter> main = new LinkedHashMap<>(params), second = new LinkedHashMap<>();
                separatelyClipped.forEach(name -> second.put(name, main.remove(name)));
                gradNorm = Gradients.clipNorm(main, cfg.clipNorm());
                double secondNorm = Gradients.clipNorm(second, cfg.clipNorm());
                metrics.put("critic_grad_norm", secondNorm);
                gradNorm = Double.isFinite(secondNorm) ? gradNorm : secondNorm;
            }
            if (!Double.isFinite(gradNorm)) {
                throw new NonFiniteLossException(step + 1, "gradient norm", gradNorm, Gradients.nonFiniteGradients(params));
            }
            optimizer.step(lr);
            optimizer.zeroGrad();
            metrics.put("grad_norm", gradNorm);
            return metrics;
        }
    }

    private Run startRun(String resumedId, int start) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("technique", technique);
        config.put("train", cfg.toMap());
        config.putAll(recorded);
        config.put("model", model.config().toJson());
        if (adapter != null) {
            config.put("adapter", adapter.configMap());
        }
        config.put("weight_storage", model.storage().name());
        config.put("native_heap", dev.tunelab.io.NativeHeap.state());
        config.put("gradient_checkpointing_effective", checkpointing());
        config.put("trainable_parameters", params.values().stream().mapToLong(Parameter::size).sum());
        config.put("total_parameters", model.parameterCount());
        if (fingerprint != null) {
            config.put("data_fingerprint", fingerprint);
        }
        config.putAll(cfg.extraConfig());
        Run.Builder builder = Run.builder(cfg.runName()).runsDir(cfg.runsDir()).config(config);
        if (resumedId != null) {
            builder.id(resumedId).keepUpToStep(start);
        }
        cfg.sinks().forEach(builder::sink);
        if (cfg.wandb() != null) {
            builder.wandb(cfg.wandb());
        }
        return builder.start();
    }

    private Map<String, Double> evaluate() {
        boolean wasTraining = model.isTraining();
        model.train(false);
        try {
            return Autograd.noGrad(evaluation);
        } finally {
            model.train(wasTraining);
        }
    }

    private Map<String, Object> checkpointState(Run run, int step) {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("run_id", run.id());
        state.put("technique", technique);
        state.put("seed", cfg.seed());
        if (fingerprint != null) {
            state.put("data_fingerprint", fingerprint);
        }
        if (trainerState != null) {
            state.put("trainer", trainerState.save());
        }
        return state;
    }

    /** The step's metrics with the learning rate before the gradient norm, as the history has always shown them. */
    private static Map<String, Object> withLearningRate(Map<String, Double> step, double lr) {
        Map<String, Object> out = new LinkedHashMap<>();
        step.forEach((k, v) -> {
            if (k.equals("grad_norm")) {
                out.put("lr", lr);
            }
            out.put(k, v);
        });
        out.putIfAbsent("lr", lr);
        return out;
    }

    private Map<String, Double> progressValues(Map<String, Double> last, Map<String, Double> lastEval) {
        Map<String, Double> shown = new LinkedHashMap<>();
        for (String key : progressMetrics) {
            if (last.containsKey(key)) {
                shown.put(key.substring(key.lastIndexOf('/') + 1), last.get(key));
            }
        }
        if (lastEval.containsKey("loss")) {
            shown.put("eval_loss", lastEval.get("loss"));
        }
        return shown;
    }

    private static Map<String, Object> summary(int step, Map<String, Double> last, Map<String, Double> lastEval, Best best,
            Map<String, Object> extra) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("steps", step);
        last.forEach((k, v) -> summary.put("final_" + k, v));
        lastEval.forEach((k, v) -> summary.put("final_eval_" + k, v));
        if (best.step > 0) {
            summary.put("best_eval_loss", best.loss);
            summary.put("best_step", best.step);
        }
        summary.putAll(extra);
        return summary;
    }

    private static void failed(Run run) {
        if (run != null) {
            run.finish(1);
        }
    }

    /** The lowest held-out loss so far and its step (0: none yet). */
    private record Best(double loss, int step) {
        Best() {
            this(Double.POSITIVE_INFINITY, 0);
        }

        /** What an earlier, interrupted part of the run recorded in {@code best/}. */
        static Best read(Path root) throws IOException {
            return Checkpoints.best(root).map(b -> new Best(b.evalLoss(), b.step())).orElse(new Best());
        }
    }
}
