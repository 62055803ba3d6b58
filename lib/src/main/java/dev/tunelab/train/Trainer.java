package dev.tunelab.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tunelab.display.ProgressBar;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.MemoryEstimate;
import dev.tunelab.model.Parameter;
import dev.tunelab.track.Run;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The training loop, written out so it can be read top to bottom and copied into a notebook:
 * for each step, forward and backward over the micro-batches, clip the global gradient norm,
 * take an AdamW step at the scheduled learning rate, then log, evaluate and checkpoint.
 * Only the model's trainable parameters are updated (all of them for full fine-tuning, the
 * adapters for LoRA).
 */
public final class Trainer {
    private Trainer() {}

    public static TrainResult fit(LlamaModel model, BatchSource train, BatchSource eval, TrainConfig cfg) {
        Map<String, Parameter> params = model.trainableParameters();
        if (params.isEmpty()) {
            throw new IllegalArgumentException("the model has no trainable parameters");
        }
        // Gradients, AdamW state and activations must fit next to the weights, which are loaded already.
        Batch first = train.batch(0);
        MemoryEstimate needs = MemoryEstimate.ofTraining(model.config(), model.dtype().getNumOfBytes(),
                model.trainableParameterCount(), first.size(), first.length());
        needs.requireFits(model.manager().getDevice(), needs.weights());
        LrSchedule schedule = cfg.lrSchedule();
        Run run = null;
        try (AdamW optimizer = new AdamW(params, cfg.beta1, cfg.beta2, cfg.eps, cfg.weightDecay)) {
            // Resume from the newest complete checkpoint, if asked and there is one.
            int start = 0;
            String runId = null;
            Optional<Checkpoints.Checkpoint> checkpoint = cfg.resume ? latest(cfg) : Optional.empty();
            if (checkpoint.isPresent()) {
                Checkpoints.restore(checkpoint.get(), params, optimizer);
                start = checkpoint.get().step();
                runId = (String) checkpoint.get().state().get("run_id");
            }
            Map<String, Object> recorded = runConfig(model, train, cfg);
            Run.Builder runBuilder = Run.builder(runId != null ? runId : cfg.runName).runsDir(cfg.runsDir).config(recorded);
            if (runId != null) {
                runBuilder.id(runId).keepUpToStep(start);
            }
            cfg.sinks.forEach(runBuilder::sink);
            if (cfg.wandb != null) {
                runBuilder.wandb(cfg.wandb);
            }
            run = runBuilder.start();
            ProgressBar bar = cfg.progress ? ProgressBar.start(cfg.runName, cfg.steps) : null;

            double loss = Double.NaN;
            double evalLoss = Double.NaN;
            double bestEvalLoss = bestSoFar(cfg);
            int bestStep = -1;
            long tokens = 0;
            long startNanos = System.nanoTime();
            int step = start;
            model.train(true);
            while (step < cfg.steps) {
                double lr = schedule.at(step);
                // Dropout draws from PyTorch's generator; seeding it per step makes step k's masks
                // the same whether or not the run was resumed before k.
                Engine.getInstance().setRandomSeed((int) (cfg.seed * 1_000_003L + step));
                double gradNorm;
                try (NDManager m = model.manager().newSubManager()) {
                    double lossSum = 0;
                    for (int micro = 0; micro < cfg.gradAccumulation; micro++) {
                        Batch batch = train.batch((long) step * cfg.gradAccumulation + micro);
                        tokens += batch.lossTokens();
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray logits = model.forward(batch.inputIds(m), batch.attentionMask(m), null, null);
                            NDArray microLoss = Losses.causalLm(logits, batch.labels(m));
                            gc.backward(microLoss.div(Autograd.scalar(microLoss, cfg.gradAccumulation)));
                            lossSum += microLoss.getFloat();
                        }
                    }
                    loss = lossSum / cfg.gradAccumulation;
                    if (!Double.isFinite(loss)) {
                        throw new NonFiniteLossException(step + 1, "loss", loss);
                    }
                    gradNorm = clipGradNorm(params, cfg.clipNorm);
                    if (!Double.isFinite(gradNorm)) {
                        throw new NonFiniteLossException(step + 1, "gradient norm", gradNorm,
                                nonFinite(params, true));
                    }
                    optimizer.step(lr);
                    optimizer.zeroGrad();
                }
                step++;

                Map<String, Object> metrics = new LinkedHashMap<>();
                if (step % cfg.logEvery == 0 || step == cfg.steps) {
                    double seconds = (System.nanoTime() - startNanos) / 1e9;
                    metrics.put("loss", loss);
                    metrics.put("lr", lr);
                    metrics.put("grad_norm", gradNorm);
                    metrics.put("tokens_per_second", tokens / Math.max(seconds, 1e-9));
                }
                if (eval != null && cfg.evalEvery > 0 && (step % cfg.evalEvery == 0 || step == cfg.steps)) {
                    evalLoss = evaluate(model, eval, cfg.evalBatches);
                    metrics.put("eval_loss", evalLoss);
                    metrics.put("eval_perplexity", Math.exp(evalLoss));
                    if (cfg.checkpointDir != null && evalLoss < bestEvalLoss) {
                        // Model selection by held-out loss: the best weights so far, kept apart from the resumable checkpoints.
                        bestEvalLoss = evalLoss;
                        bestStep = step;
                        Checkpoints.saveBest(cfg.checkpointDir.resolve(Checkpoints.BEST), step, evalLoss, params);
                    }
                }
                if (!metrics.isEmpty()) {
                    run.log(step, metrics);
                }
                if (bar != null) {
                    bar.step(step, Double.isNaN(evalLoss) ? Map.of("loss", loss) : Map.of("loss", loss, "eval_loss", evalLoss));
                }
                // stopAfter simulates an interruption; a stop asked from the W&B UI ends the run the same clean way
                boolean interrupted = (cfg.stopAfter > 0 && step >= cfg.stopAfter) || run.stopRequested();
                if (cfg.checkpointDir != null
                        && ((cfg.checkpointEvery > 0 && step % cfg.checkpointEvery == 0) || step == cfg.steps || interrupted)) {
                    // An update can overflow the weights while the loss that led to it was finite: never
                    // save those over the last good checkpoint.
                    List<String> broken = nonFinite(params, false);
                    if (!broken.isEmpty()) {
                        throw new NonFiniteLossException(step, "a weight after the update", Double.NaN, broken);
                    }
                    save(cfg, step, params, optimizer, run, train);
                }
                if (interrupted) {
                    break;
                }
            }
            if (bar != null) {
                bar.finish();
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("final_loss", loss);
            summary.put("steps", step);
            if (!Double.isNaN(evalLoss)) {
                summary.put("final_eval_loss", evalLoss);
            }
            if (bestStep > 0) {
                summary.put("best_eval_loss", bestEvalLoss);
                summary.put("best_step", bestStep);
            }
            run.summary(summary);
            run.finish(0);
            return new TrainResult(run, start, step, loss, evalLoss);
        } catch (IOException e) {
            failed(run);
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            failed(run); // the run record says the run failed (W&B marks it so) instead of staying "running"
            throw e;
        } finally {
            model.train(false);
        }
    }

    private static void failed(Run run) {
        if (run != null) {
            run.finish(1);
        }
    }

    /** Token-weighted mean causal-LM loss over the first {@code batches} batches of a source. */
    public static double evaluate(LlamaModel model, BatchSource data, int batches) {
        boolean wasTraining = model.isTraining();
        model.train(false);
        try {
            return meanLoss(model, data, batches);
        } finally {
            model.train(wasTraining);
        }
    }

    private static double meanLoss(LlamaModel model, BatchSource data, int batches) {
        return Autograd.noGrad(() -> {
            double nll = 0;
            double count = 0;
            for (int i = 0; i < batches; i++) {
                try (NDManager m = model.manager().newSubManager()) {
                    Batch batch = data.batch(i);
                    NDArray logits = model.forward(batch.inputIds(m), batch.attentionMask(m), null, null);
                    NDArray[] perToken = Losses.shiftedNll(logits, batch.labels(m));
                    nll += perToken[0].mul(perToken[1]).sum().getFloat();
                    count += perToken[1].sum().getFloat();
                }
            }
            return nll / Math.max(count, 1);
        });
    }

    /**
     * Scales all gradients so their global L2 norm is at most {@code maxNorm}, as
     * torch.nn.utils.clip_grad_norm_ does; returns the norm before clipping. maxNorm <= 0 only measures.
     */
    public static double clipGradNorm(Map<String, Parameter> params, double maxNorm) {
        NDManager owner = params.values().iterator().next().data().getManager();
        return Autograd.noGrad(() -> {
            try (NDManager scratch = owner.newSubManager()) {
                List<NDArray> grads = new ArrayList<>();
                double sumSquares = 0;
                for (Parameter p : params.values()) {
                    NDArray g = p.gradient();
                    if (g != null) {
                        g.attach(scratch);
                        grads.add(g);
                        sumSquares += g.square().sum().getFloat();
                    }
                }
                double norm = Math.sqrt(sumSquares);
                double coef = maxNorm / (norm + 1e-6);
                if (maxNorm > 0 && coef < 1) {
                    grads.forEach(g -> g.muli(coef));
                }
                return norm;
            }
        });
    }

    /** Names of the parameters whose gradient (or, with gradients false, value) holds a NaN or an infinity (the first few). */
    private static List<String> nonFinite(Map<String, Parameter> params, boolean gradients) {
        List<String> bad = new ArrayList<>();
        Autograd.noGrad(() -> params.forEach((name, p) -> {
            if (bad.size() >= 5) {
                return;
            }
            NDArray x = gradients ? p.gradient() : p.data();
            if (x == null) {
                return;
            }
            try (NDManager scratch = x.getManager().newSubManager()) {
                NDArray nan = x.isNaN();
                nan.attach(scratch);
                NDArray inf = x.isInfinite();
                inf.attach(scratch);
                if (nan.logicalOr(inf).any().getBoolean()) {
                    bad.add(name);
                }
            } finally {
                if (gradients) {
                    x.close(); // made for this check; a parameter's data is not ours to close
                }
            }
        }));
        return bad;
    }

    /** The held-out loss of the best weights an earlier (interrupted) part of this run saved. */
    private static double bestSoFar(TrainConfig cfg) throws IOException {
        if (cfg.checkpointDir == null || !cfg.resume) {
            return Double.POSITIVE_INFINITY;
        }
        return Checkpoints.bestEvalLoss(cfg.checkpointDir.resolve(Checkpoints.BEST)).orElse(Double.POSITIVE_INFINITY);
    }

    private static Optional<Checkpoints.Checkpoint> latest(TrainConfig cfg) throws IOException {
        return cfg.checkpointDir == null ? Optional.empty() : Checkpoints.latest(cfg.checkpointDir);
    }

    private static void save(TrainConfig cfg, int step, Map<String, Parameter> params, AdamW optimizer, Run run,
            BatchSource train) throws IOException {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("run_id", run.id());
        state.put("seed", cfg.seed);
        state.put("data_fingerprint", train.fingerprint());
        Checkpoints.save(cfg.checkpointDir, step, params, optimizer, state, cfg.keepCheckpoints);
    }

    private static Map<String, Object> runConfig(LlamaModel model, BatchSource train, TrainConfig cfg) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("train", cfg.toMap());
        c.put("model", model.config().toJson());
        c.put("trainable_parameters", model.trainableParameterCount());
        c.put("total_parameters", model.parameterCount());
        c.put("data_fingerprint", train.fingerprint());
        c.putAll(cfg.extraConfig);
        return c;
    }
}
