package dev.tunelab.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tunelab.generate.Generation;
import dev.tunelab.generate.Generator;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.train.Batch;
import dev.tunelab.train.BatchSource;
import dev.tunelab.train.LossOutput;
import dev.tunelab.train.Losses;
import dev.tunelab.train.SftBatches;
import dev.tunelab.train.TrainConfig;
import dev.tunelab.train.TrainResult;
import dev.tunelab.train.Trainer;
import dev.tunelab.train.TrainingLoop;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Logit distillation of a student from a teacher with the same vocabulary, a recipe on
 * {@link TrainingLoop}: for each micro-batch, the teacher's distributions (the teacher run on the
 * fly, or read from a {@link TeacherLogitCache}), the student's forward pass and the loss
 * alpha * KL + (1 - alpha) * hard-label cross entropy ({@link KdLosses}); the loop does the rest
 * (accumulation, clipping, AdamW, logging, the student's held-out cross entropy, checkpoints).
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

    /** Distills into the student's own weights with the teacher run on every batch (needed for reverse KL and on-policy steps). */
    public static TrainResult fit(LlamaModel student, LlamaModel teacher, BatchSource train, BatchSource eval, DistillConfig cfg) {
        return onTheFly(TrainingLoop.of("distill", cfg.train, student), student, teacher, train, eval, cfg);
    }

    /** Distills into an adapter on the student (recorded and checkpointed as a PEFT adapter), teacher on the fly. */
    public static TrainResult fit(PeftModel student, LlamaModel teacher, BatchSource train, BatchSource eval, DistillConfig cfg) {
        return onTheFly(TrainingLoop.of("distill", cfg.train, student), student.model(), teacher, train, eval, cfg);
    }

    /** Distills into the student's own weights from cached top-k teacher distributions (forward KL only, no on-policy steps). */
    public static TrainResult fit(LlamaModel student, TeacherLogitCache cache, BatchSource eval, DistillConfig cfg) {
        return fromCache(TrainingLoop.of("distill", cfg.train, student), student, cache, eval, cfg);
    }

    /** Distills into an adapter on the student from cached top-k teacher distributions. */
    public static TrainResult fit(PeftModel student, TeacherLogitCache cache, BatchSource eval, DistillConfig cfg) {
        return fromCache(TrainingLoop.of("distill", cfg.train, student), student.model(), cache, eval, cfg);
    }

    private static TrainResult onTheFly(TrainingLoop loop, LlamaModel student, LlamaModel teacher, BatchSource train,
            BatchSource eval, DistillConfig cfg) {
        if (student.config().vocabSize() != teacher.config().vocabSize()) {
            throw new IllegalArgumentException("logit distillation needs one vocabulary: student has "
                    + student.config().vocabSize() + " tokens, teacher " + teacher.config().vocabSize());
        }
        return loop(loop, student, teacher, null, train, eval, cfg);
    }

    private static TrainResult fromCache(TrainingLoop loop, LlamaModel student, TeacherLogitCache cache, BatchSource eval,
            DistillConfig cfg) {
        if (cfg.divergence != DistillConfig.Divergence.FORWARD_KL || cfg.onPolicyFraction > 0) {
            throw new IllegalArgumentException("a top-k cache supports forward KL without on-policy steps; "
                    + "run the teacher on the fly for " + cfg.divergence + (cfg.onPolicyFraction > 0 ? " with on-policy steps" : ""));
        }
        if (cache.temperature() != cfg.temperature) {
            throw new IllegalArgumentException("the cache holds the teacher at temperature " + cache.temperature()
                    + ", the config asks for " + cfg.temperature);
        }
        return loop(loop, student, null, cache, cache.data(), eval, cfg);
    }

    private static TrainResult loop(TrainingLoop loop, LlamaModel student, LlamaModel teacher, TeacherLogitCache cache,
            BatchSource train, BatchSource eval, DistillConfig cfg) {
        TrainConfig tc = cfg.train;
        loop.settings(cfg.toMap())
                .record("teacher_logits", cache == null ? "on the fly" : cache.toString())
                .dataFingerprint(train.fingerprint()).chart("loss");
        if (teacher != null) {
            loop.record("teacher", teacher.config().toJson());
            teacher.train(false);
        }
        if (eval != null) {
            loop.evaluation(() -> {
                double loss = Trainer.evaluate(student, eval, tc.evalBatches());
                return Map.of("loss", loss, "perplexity", Math.exp(loss));
            });
        }
        int k = tc.gradAccumulation();
        int[] onPolicySteps = {0};
        return loop.run((s, step) -> {
            boolean onPolicy = cfg.onPolicyFraction > 0
                    && new SplittableRandom(tc.seed() * 0x9E3779B97F4A7C15L + step).nextDouble() < cfg.onPolicyFraction;
            Batch[] micro = new Batch[k];
            double[] tokens = new double[k];
            for (int i = 0; i < k; i++) {
                long index = (long) step * k + i;
                micro[i] = onPolicy ? studentWritten(student, train.batch(index), cfg, tc.seed() * 31 + index) : train.batch(index);
                tokens[i] = micro[i].lossTokens();
                s.countTokens(micro[i].lossTokens());
            }
            student.train(true); // sampling ran without dropout
            Map<String, Double> metrics = new LinkedHashMap<>(s.update(tokens, (i, m) ->
                    loss(student, teacher, cache == null ? null : cache.batch(step * k + i, m), micro[i], onPolicy, cfg, m)));
            onPolicySteps[0] += onPolicy ? 1 : 0;
            metrics.put("on_policy_steps", (double) onPolicySteps[0]);
            s.summary("on_policy_steps", onPolicySteps[0]);
            return metrics;
        });
    }

    /**
     * One batch's loss: alpha * KL + (1 - alpha) * cross entropy ({@link KdLosses}); on a batch the
     * student wrote, the divergence alone (a sampled token is no gold label).
     *
     * @param topK the cached teacher's top-k (ids, probabilities), or null to run {@code teacher}
     */
    static LossOutput loss(LlamaModel student, LlamaModel teacher, NDArray[] topK, Batch batch, boolean onPolicy,
            DistillConfig cfg, NDManager m) {
        NDArray ids = batch.inputIds(m);
        NDArray mask = batch.attentionMask(m);
        NDArray labels = batch.labels(m);
        NDArray teacherLogits = teacher == null ? null
                : Autograd.noGrad(() -> teacher.forward(ids, mask, null, null).get(":, :-1, :"));
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
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("kd_loss", (double) kdLoss.getFloat());
        metrics.put("ce_loss", (double) ceLoss.getFloat());
        return new LossOutput(total, metrics);
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
        Set<Long> eos = new LinkedHashSet<>();
        student.config().eosTokenIds().forEach(id -> eos.add((long) id));
        student.train(false); // sample without dropout
        List<Generation> out = new Generator(student, eos, student.config().paddingId(), null)
                .generate(prompts, cfg.onPolicySampling.seed(seed));
        List<long[]> ids = new ArrayList<>();
        List<long[]> labels = new ArrayList<>();
        for (int b = 0; b < prompts.size(); b++) {
            long[] p = prompts.get(b);
            long[] t = out.get(b).tokens();
            boolean ended = "eos".equals(out.get(b).finishReason());
            long[] row = Arrays.copyOf(p, p.length + t.length + (ended ? 1 : 0));
            System.arraycopy(t, 0, row, p.length, t.length);
            if (ended) row[row.length - 1] = out.get(b).eosToken();
            long[] lab = row.clone();
            Arrays.fill(lab, 0, p.length, Losses.IGNORE_INDEX);
            ids.add(row);
            labels.add(lab);
        }
        return Batch.rightPadded(ids, labels, student.config().paddingId());
    }
}
