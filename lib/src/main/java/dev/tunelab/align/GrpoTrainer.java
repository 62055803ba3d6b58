package dev.tunelab.align;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tunelab.display.ProgressBar;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.track.Run;
import dev.tunelab.train.AdamW;
import dev.tunelab.train.Trainer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Group Relative Policy Optimization (Shao et al. 2024, "DeepSeekMath", section 4.1), one loop to
 * read top to bottom; TRL's GRPOTrainer is the reference implementation. Each step:
 *
 * <ol>
 *   <li>Sample G completions for each of {@code promptsPerStep} prompts and score them.</li>
 *   <li>Advantages relative to the group: (r - mean) / std over the prompt's G completions,
 *       shared by every token of a completion. No value head, no GAE.</li>
 *   <li>Log-probabilities of the sampling policy and of the reference (adapters off).</li>
 *   <li>{@code iterations} passes in minibatches, an AdamW step each, on the paper's eq. 3:
 *       per token -min(ratio A, clip(ratio, 1 - eps, 1 + eps) A) + beta * k3 KL to the reference,
 *       averaged over each completion's tokens, then over the completions.</li>
 * </ol>
 *
 * Unlike PPO the KL to the reference is a loss term, not a reward penalty (paper section 4.1.1).
 */
public final class GrpoTrainer {
    private GrpoTrainer() {}

    /** The run record (metrics by step); the policy's adapters are trained in place. */
    public record GrpoResult(Run run, int steps) {}

    public static GrpoResult train(PeftModel policy, Tokenizer tokenizer, List<String> prompts, RewardFunction reward,
            GrpoConfig cfg) {
        LlamaModel model = policy.model();
        Map<String, Parameter> params = model.trainableParameters();
        if (params.isEmpty()) {
            throw new IllegalArgumentException("the policy has no trainable parameters: attach LoRA adapters first");
        }
        Run run = Settings.startRun("grpo", cfg.toMap(), policy, prompts.size(), cfg.runName, cfg.runsDir);
        ProgressBar bar = cfg.progress ? ProgressBar.start(cfg.runName, cfg.steps) : null;
        boolean wasTraining = model.isTraining();
        model.train(false); // no dropout, as TRL's GRPO: ratios must be 1 before any update
        try (AdamW optimizer = new AdamW(params, 0.9, 0.999, 1e-8, 0)) {
            for (int step = 0; step < cfg.steps; step++) {
                // 1. G samples of each prompt, side by side: prompt 0's G completions, then prompt 1's ...
                List<String> grouped = new ArrayList<>();
                for (String p : Rollouts.promptsFor(prompts, step, cfg.promptsPerStep, cfg.seed)) {
                    for (int g = 0; g < cfg.groupSize; g++) {
                        grouped.add(p);
                    }
                }
                Rollouts.Rollout rollout = Rollouts.sample(model, tokenizer, grouped, reward, cfg.maxNewTokens,
                        cfg.stopAtEos, cfg.seed * 1_000_003L + step);
                CompletionBatch batch = rollout.batch();

                // 2. Group-relative advantages.
                double[] advantages = GroupAdvantages.compute(rollout.scores(), cfg.groupSize);

                Map<String, Object> metrics = new LinkedHashMap<>();
                try (NDManager m = model.manager().newSubManager()) {
                    // 3. Sampling policy and reference log-probabilities.
                    double[][] oldLogp = PerTokenRows.of(SequenceLogProbs.noGrad(model, batch, m).perToken());
                    double[][] refLogp = cfg.beta == 0 ? null
                            : PerTokenRows.of(SequenceLogProbs.reference(policy, batch, m).perToken());

                    // 4. Clipped objective plus KL, in minibatches.
                    double lossSum = 0, klSum = 0, clipSum = 0;
                    int updates = 0;
                    for (int iteration = 0; iteration < cfg.iterations; iteration++) {
                        var random = new SplittableRandom(cfg.seed * 7919L + step * 131L + iteration);
                        for (int[] rows : PerTokenRows.minibatches(batch.size(), cfg.miniBatchSize, random)) {
                            double[] terms = minibatchStep(policy, PerTokenRows.pick(batch, rows), rows, oldLogp, refLogp,
                                    advantages, cfg, params, optimizer, m);
                            lossSum += terms[0];
                            klSum += terms[1];
                            clipSum += terms[2];
                            updates++;
                        }
                    }
                    metrics.put("reward", rollout.meanScore());
                    metrics.put("reward_std", meanGroupStd(rollout.scores(), cfg.groupSize));
                    metrics.put("frac_reward_zero_std", zeroStdFraction(rollout.scores(), cfg.groupSize));
                    metrics.put("kl", klSum / updates);
                    metrics.put("clip_ratio", clipSum / updates);
                    metrics.put("loss", lossSum / updates);
                    metrics.put("completion_length", rollout.meanLength());
                    metrics.put("time/rollout_tokens_per_second", rollout.generatedTokens() / rollout.seconds());
                }
                run.log(step + 1, metrics);
                if (bar != null) {
                    bar.step(step + 1, Map.of("reward", (Double) metrics.get("reward"), "kl", (Double) metrics.get("kl")));
                }
            }
            if (bar != null) {
                bar.finish();
            }
            Map<String, Object> last = run.history().get(run.history().size() - 1);
            run.summary(Map.of("final_reward", last.get("reward"), "final_kl", last.get("kl"), "steps", cfg.steps));
            run.finish(0);
            return new GrpoResult(run, cfg.steps);
        } catch (RuntimeException | Error e) {
            run.finish(1);
            throw e;
        } finally {
            model.train(wasTraining);
        }
    }

    /**
     * One AdamW step on minibatch {@code mb} (rows {@code rows}); returns {loss, mean k3 KL, clip
     * fraction}, the last being the share of tokens whose ratio lies outside [1 - eps, 1 + eps].
     */
    private static double[] minibatchStep(PeftModel policy, CompletionBatch mb, int[] rows, double[][] oldLogp,
            double[][] refLogp, double[] advantages, GrpoConfig cfg, Map<String, Parameter> params, AdamW optimizer,
            NDManager parent) {
        LlamaModel model = policy.model();
        int cols = mb.completionLength();
        double[] out = new double[3];
        try (NDManager m = parent.newSubManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                SequenceLogProbs logp = SequenceLogProbs.compute(model, mb, m);
                NDArray mask = logp.mask();
                NDArray old = PerTokenRows.select(m, oldLogp, rows, cols, model.dtype());
                float[] rowAdvantages = new float[rows.length];
                for (int i = 0; i < rows.length; i++) {
                    rowAdvantages[i] = (float) advantages[rows[i]];
                }
                NDArray a = m.create(rowAdvantages, new Shape(rows.length, 1)).toType(model.dtype(), false)
                        .broadcast(rows.length, cols);
                NDArray perToken = PpoLoss.clippedSurrogate(logp.perToken(), old, a, cfg.clipRange);
                NDArray kl = null;
                if (refLogp != null) {
                    NDArray ref = PerTokenRows.select(m, refLogp, rows, cols, model.dtype());
                    kl = KlEstimator.K3.perToken(logp.perToken(), ref);
                    perToken = perToken.add(kl.mul(Autograd.scalar(kl, cfg.beta)));
                }
                // each completion's mean over its tokens, then the mean over completions (the paper's 1/|o_i|)
                NDArray perCompletion = perToken.mul(mask).sum(new int[] {1})
                        .div(mask.sum(new int[] {1}).maximum(Autograd.scalar(mask, 1)));
                NDArray loss = perCompletion.mean();
                gc.backward(loss);
                NDArray klForLog = kl;
                Autograd.noGrad(() -> {
                    out[0] = loss.getFloat();
                    out[1] = klForLog == null ? 0 : PpoLoss.maskedMean(klForLog, mask).getFloat();
                    NDArray ratio = logp.perToken().sub(old).exp();
                    NDArray clipped = ratio.lt(1 - cfg.clipRange).logicalOr(ratio.gt(1 + cfg.clipRange));
                    out[2] = PpoLoss.maskedMean(clipped.toType(mask.getDataType(), false), mask).getFloat();
                });
            }
            Trainer.clipGradNorm(params, cfg.clipNorm);
            optimizer.step(cfg.learningRate);
            optimizer.zeroGrad();
        }
        return out;
    }

    private static double meanGroupStd(double[] rewards, int groupSize) {
        double sum = 0;
        for (int start = 0; start < rewards.length; start += groupSize) {
            sum += GroupAdvantages.std(rewards, start, groupSize);
        }
        return sum / (rewards.length / groupSize);
    }

    /** Share of groups whose completions all scored the same: they have no advantage and teach nothing. */
    private static double zeroStdFraction(double[] rewards, int groupSize) {
        int zero = 0;
        for (int start = 0; start < rewards.length; start += groupSize) {
            zero += GroupAdvantages.std(rewards, start, groupSize) == 0 ? 1 : 0;
        }
        return (double) zero / (rewards.length / groupSize);
    }
}
