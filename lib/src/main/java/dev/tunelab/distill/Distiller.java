package dev.tunelab.distill;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tunelab.display.ProgressBar;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.Generator;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.track.Run;
import dev.tunelab.train.AdamW;
import dev.tunelab.train.Batch;
import dev.tunelab.train.BatchSource;
import dev.tunelab.train.Losses;
import dev.tunelab.train.LrSchedule;
import dev.tunelab.train.NonFiniteLossException;
import dev.tunelab.train.SftBatches;
import dev.tunelab.train.TrainConfig;
import dev.tunelab.train.TrainResult;
import dev.tunelab.train.Trainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Logit distillation of a student from a teacher with the same vocabulary, written out as an
 * explicit loop like {@link Trainer#fit}: for each step, the teacher's distributions for the
 * batch (the teacher run on the fly, or read from a {@link TeacherLogitCache}), the student's
 * forward pass, the loss alpha * KL + (1 - alpha) * hard-label cross entropy ({@link KdLosses}),
 * backward, clip, AdamW; then log, and evaluate the student's held-out cross entropy.
 *
 * <p>On-policy steps (GKD, Agarwal et al. 2024; {@link DistillConfig#onPolicyFraction}): the
 * student samples continuations of the batch's prompts, the teacher scores them, and the loss is
 * the divergence alone on the sampled tokens: the student learns on the text it actually writes.
 * Which steps are on-policy is drawn from (seed, step), so a run is reproducible.
 *
 * <p>Every run is recorded like {@code Trainer.fit}'s ({@code runs/<id>/}): the train settings,
 * the distillation settings, the student and teacher shapes, the data fingerprint, and per logged
 * step {@code loss}, {@code kd_loss}, {@code ce_loss}, {@code lr}, {@code grad_norm},
 * {@code on_policy_steps}, {@code eval_loss}.
 */
public final class Distiller {
    private Distiller() {}

    /** Distills with the teacher run on every batch (needed for reverse KL and on-policy steps). */
    public static TrainResult fit(LlamaModel student, LlamaModel teacher, SftBatches train, BatchSource eval, DistillConfig cfg) {
        if (student.config().vocabSize() != teacher.config().vocabSize()) {
            throw new IllegalArgumentException("logit distillation needs one vocabulary: student has "
                    + student.config().vocabSize() + " tokens, teacher " + teacher.config().vocabSize());
        }
        return loop(student, teacher, null, train, eval, cfg);
    }

    /** Distills from cached top-k teacher distributions (forward KL only, no on-policy steps). */
    public static TrainResult fit(LlamaModel student, TeacherLogitCache cache, BatchSource eval, DistillConfig cfg) {
        if (cfg.divergence != DistillConfig.Divergence.FORWARD_KL || cfg.onPolicyFraction > 0) {
            throw new IllegalArgumentException("a top-k cache supports forward KL without on-policy steps; "
                    + "run the teacher on the fly for " + cfg.divergence + (cfg.onPolicyFraction > 0 ? " with on-policy steps" : ""));
        }
        if (cache.temperature() != cfg.temperature) {
            throw new IllegalArgumentException("the cache holds the teacher at temperature " + cache.temperature()
                    + ", the config asks for " + cfg.temperature);
        }
        return loop(student, null, cache, cache.data(), eval, cfg);
    }

    private static TrainResult loop(LlamaModel student, LlamaModel teacher, TeacherLogitCache cache, SftBatches train,
            BatchSource eval, DistillConfig cfg) {
        TrainConfig tc = cfg.train;
        Map<String, Parameter> params = student.trainableParameters();
        if (params.isEmpty()) throw new IllegalArgumentException("the student has no trainable parameters");
        LrSchedule schedule = tc.lrSchedule();
        Map<String, Object> recorded = new LinkedHashMap<>();
        recorded.put("train", tc.toMap());
        recorded.put("distill", cfg.toMap());
        recorded.put("teacher_logits", cache == null ? "on the fly" : cache.toString());
        recorded.put("model", student.config().toJson());
        if (teacher != null) recorded.put("teacher", teacher.config().toJson());
        recorded.put("trainable_parameters", student.trainableParameterCount());
        recorded.put("data_fingerprint", train.fingerprint());
        Run run = Run.builder(tc.runName()).runsDir(tc.runsDir()).config(recorded).start();
        ProgressBar bar = tc.progress() ? ProgressBar.start(tc.runName(), tc.steps()) : null;
        if (teacher != null) teacher.train(false);
        double loss = Double.NaN;
        double evalLoss = Double.NaN;
        int onPolicySteps = 0;
        try (AdamW optimizer = new AdamW(params, tc.beta1(), tc.beta2(), tc.eps(), tc.weightDecay())) {
            for (int step = 0; step < tc.steps(); step++) {
                double lr = schedule.at(step);
                Engine.getInstance().setRandomSeed((int) (tc.seed() * 1_000_003L + step)); // dropout, as Trainer does
                boolean onPolicy = cfg.onPolicyFraction > 0
                        && new SplittableRandom(tc.seed() * 0x9E3779B97F4A7C15L + step).nextDouble() < cfg.onPolicyFraction;
                double kd;
                double ce;
                double gradNorm;
                try (NDManager m = student.manager().newSubManager()) {
                    Batch batch = onPolicy ? studentWritten(student, train.batch(step), cfg, tc.seed() * 31 + step) : train.batch(step);
                    NDArray ids = batch.inputIds(m);
                    NDArray mask = batch.attentionMask(m);
                    NDArray labels = batch.labels(m);
                    NDArray teacherLogits = teacher == null ? null
                            : Autograd.noGrad(() -> teacher.forward(ids, mask, null, null).get(":, :-1, :"));
                    NDArray[] topK = cache == null ? null : cache.batch(step, m);
                    student.train(true);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = student.forward(ids, mask, null, null);
                        NDArray predicting = logits.get(":, :-1, :");
                        NDArray weights = KdLosses.shiftedWeights(labels, logits.getDataType());
                        NDArray kdLoss = topK != null
                                ? KdLosses.forwardKlTopK(predicting, topK[0], topK[1], weights, cfg.temperature)
                                : cfg.divergence == DistillConfig.Divergence.FORWARD_KL
                                        ? KdLosses.forwardKl(predicting, teacherLogits, weights, cfg.temperature)
                                        : KdLosses.reverseKl(predicting, teacherLogits, weights, cfg.temperature);
                        NDArray ceLoss = Losses.causalLm(logits, labels);
                        NDArray total = onPolicy ? kdLoss : KdLosses.mix(kdLoss, ceLoss, cfg.alpha);
                        gc.backward(total);
                        kd = kdLoss.getFloat();
                        ce = ceLoss.getFloat();
                        loss = total.getFloat();
                    }
                    if (!Double.isFinite(loss)) throw new NonFiniteLossException(step + 1, "loss", loss);
                    gradNorm = Trainer.clipGradNorm(params, tc.clipNorm());
                    optimizer.step(lr);
                    optimizer.zeroGrad();
                }
                if (onPolicy) onPolicySteps++;
                int done = step + 1;
                Map<String, Object> metrics = new LinkedHashMap<>();
                if (done % tc.logEvery() == 0 || done == tc.steps()) {
                    metrics.put("loss", loss);
                    metrics.put("kd_loss", kd);
                    metrics.put("ce_loss", ce);
                    metrics.put("lr", lr);
                    metrics.put("grad_norm", gradNorm);
                    metrics.put("on_policy_steps", onPolicySteps);
                }
                if (eval != null && tc.evalEvery() > 0 && (done % tc.evalEvery() == 0 || done == tc.steps())) {
                    evalLoss = Trainer.evaluate(student, eval, tc.evalBatches());
                    metrics.put("eval_loss", evalLoss);
                    metrics.put("eval_perplexity", Math.exp(evalLoss));
                }
                if (!metrics.isEmpty()) run.log(done, metrics);
                if (bar != null) {
                    bar.step(done, Double.isNaN(evalLoss) ? Map.of("loss", loss) : Map.of("loss", loss, "eval_loss", evalLoss));
                }
            }
            if (bar != null) bar.finish();
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("final_loss", loss);
            summary.put("steps", tc.steps());
            summary.put("on_policy_steps", onPolicySteps);
            if (!Double.isNaN(evalLoss)) summary.put("final_eval_loss", evalLoss);
            run.summary(summary);
            run.finish(0);
            return new TrainResult(run, 0, tc.steps(), loss, evalLoss);
        } catch (RuntimeException | Error e) {
            run.finish(1);
            throw e;
        } finally {
            student.train(false);
        }
    }

    /**
     * The batch's prompts (each row's tokens before its first trained label) continued by the
     * student: ids = prompt + sampled tokens (+ EOS when it stopped there), labels on the sampled
     * part only, right-padded.
     */
    static Batch studentWritten(LlamaModel student, Batch batch, DistillConfig cfg, long seed) {
        List<long[]> prompts = new ArrayList<>();
        for (int b = 0; b < batch.size(); b++) {
            long[] labels = batch.labels()[b];
            int first = 0;
            while (first < labels.length && labels[first] == Losses.IGNORE_INDEX) first++;
            prompts.add(Arrays.copyOf(batch.inputIds()[b], Math.max(1, first)));
        }
        long eos = student.config().eosTokenId();
        student.train(false); // sample without dropout
        List<Generation> out = new Generator(student, eos, student.config().padTokenId(), null)
                .generate(prompts, cfg.onPolicySampling.seed(seed));
        List<long[]> ids = new ArrayList<>();
        List<long[]> labels = new ArrayList<>();
        int length = 0;
        for (int b = 0; b < prompts.size(); b++) {
            long[] p = prompts.get(b);
            long[] t = out.get(b).tokens();
            boolean ended = "eos".equals(out.get(b).finishReason());
            long[] row = Arrays.copyOf(p, p.length + t.length + (ended ? 1 : 0));
            System.arraycopy(t, 0, row, p.length, t.length);
            if (ended) row[row.length - 1] = eos;
            long[] lab = row.clone();
            Arrays.fill(lab, 0, p.length, Losses.IGNORE_INDEX);
            ids.add(row);
            labels.add(lab);
            length = Math.max(length, row.length);
        }
        long[][] idM = new long[ids.size()][length];
        long[][] labM = new long[ids.size()][length];
        long[][] maskM = new long[ids.size()][length];
        for (int b = 0; b < ids.size(); b++) {
            int n = ids.get(b).length;
            Arrays.fill(idM[b], student.config().padTokenId());
            Arrays.fill(labM[b], Losses.IGNORE_INDEX);
            System.arraycopy(ids.get(b), 0, idM[b], 0, n);
            System.arraycopy(labels.get(b), 0, labM[b], 0, n);
            Arrays.fill(maskM[b], 0, n, 1L);
        }
        return new Batch(idM, labM, maskM);
    }
}
