package dev.tunelab.align;

import dev.tunelab.eval.RewardFunction;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.train.LossOutput;
import dev.tunelab.train.TrainResult;
import dev.tunelab.train.TrainingLoop;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    public static TrainResult fit(PeftModel policy, Tokenizer tokenizer, List<String> prompts, RewardFunction reward,
            GrpoConfig cfg) {
        return TrainingLoop.of("grpo", cfg.train, policy).settings(cfg.toMap()).record("prompts", prompts.size())
                .refuse(Map.of("gradient_accumulation_steps", "GRPO's updates are its minibatches: set miniBatchSize",
                        "eval_batches", "GRPO has no held-out evaluation"))
                .dropout(false) // as TRL's GRPO: ratios must be 1 before any update
                .progress("reward", "kl").chart("reward", "kl")
                .run((s, step) -> step(s, policy, tokenizer, prompts, reward, cfg, step));
    }

    /** One GRPO iteration: G samples per prompt, group advantages, then the clipped objective in minibatches. */
    private static Map<String, Double> step(TrainingLoop.Context s, PeftModel policy, Tokenizer tokenizer, List<String> prompts,
            RewardFunction reward, GrpoConfig cfg, int step) {
        LlamaModel model = policy.model();
        long seed = cfg.train.seed();
        // 1. G samples of each prompt, side by side: prompt 0's G completions, then prompt 1's ...
        Rollouts.Rollout rollout = Rollouts.sampleGroups(model, tokenizer, prompts, step, cfg.promptsPerStep, cfg.groupSize,
                reward, cfg.maxNewTokens, cfg.stopAtEos, seed);
        CompletionBatch batch = rollout.batch();

        // 2. Group-relative advantages.
        double[] advantages = GroupAdvantages.compute(rollout.scores(), cfg.groupSize);

        // 3. Sampling policy and reference log-probabilities.
        NDManager m = s.scope();
        double[][] oldLogp = PerTokenRows.of(SequenceLogProbs.noGrad(model, batch, m).perToken());
        double[][] refLogp = cfg.beta == 0 ? null : PerTokenRows.of(SequenceLogProbs.reference(policy, batch, m).perToken());

        // 4. Clipped objective plus KL, in minibatches.
        Map<String, Double> terms = PerTokenRows.updateInMinibatches(s, batch, cfg.iterations, cfg.miniBatchSize, seed, step,
                (mb, rows, scope) -> loss(model, mb, rows, oldLogp, refLogp, advantages, cfg.beta, cfg.clipRange, scope));
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("reward", rollout.meanScore());
        metrics.put("reward_std", meanGroupStd(rollout.scores(), cfg.groupSize));
        metrics.put("frac_reward_zero_std", zeroStdFraction(rollout.scores(), cfg.groupSize));
        metrics.put("kl", terms.get("kl"));
        metrics.put("clip_ratio", terms.get("clip_ratio"));
        metrics.put("loss", terms.get("loss"));
        metrics.put("completion_length", rollout.meanLength());
        metrics.put("time/rollout_tokens_per_second", rollout.generatedTokens() / rollout.seconds());
        return metrics;
    }

    /**
     * The paper's eq. 3 on minibatch {@code mb} (rows {@code rows} of the generation batch): per
     * token -min(ratio A, clip(ratio) A) + beta * k3 KL, averaged over each completion's tokens,
     * then over the completions; with the mean k3 KL and the clip fraction (the share of tokens
     * whose ratio lies outside [1 - eps, 1 + eps]) as metrics.
     */
    public static LossOutput loss(LlamaModel model, CompletionBatch mb, int[] rows, double[][] oldLogp, double[][] refLogp,
            double[] advantages, double beta, double clipRange, NDManager m) {
        int cols = mb.completionLength();
        SequenceLogProbs logp = SequenceLogProbs.compute(model, mb, m);
        NDArray mask = logp.mask();
        NDArray old = PerTokenRows.select(m, oldLogp, rows, cols, model.dtype());
        float[] rowAdvantages = new float[rows.length];
        for (int i = 0; i < rows.length; i++) {
            rowAdvantages[i] = (float) advantages[rows[i]];
        }
        NDArray a = m.create(rowAdvantages, new Shape(rows.length, 1)).toType(model.dtype(), false)
                .broadcast(rows.length, cols);
        NDArray perToken = PpoLoss.clippedSurrogate(logp.perToken(), old, a, clipRange);
        NDArray kl = null;
        if (refLogp != null) {
            NDArray ref = PerTokenRows.select(m, refLogp, rows, cols, model.dtype());
            kl = KlEstimator.K3.perToken(logp.perToken(), ref);
            perToken = perToken.add(kl.mul(Autograd.scalar(kl, beta)));
        }
        // each completion's mean over its tokens, then the mean over completions (the paper's 1/|o_i|)
        NDArray perCompletion = perToken.mul(mask).sum(new int[] {1})
                .div(mask.sum(new int[] {1}).maximum(Autograd.scalar(mask, 1)));
        NDArray loss = perCompletion.mean();
        NDArray klForLog = kl;
        Map<String, Double> metrics = Autograd.noGrad(() -> {
            Map<String, Double> out = new LinkedHashMap<>();
            out.put("kl", klForLog == null ? 0.0 : PpoLoss.maskedMean(klForLog, mask).getFloat());
            NDArray ratio = logp.perToken().sub(old).exp();
            NDArray clipped = ratio.lt(1 - clipRange).logicalOr(ratio.gt(1 + clipRange));
            out.put("clip_ratio", (double) PpoLoss.maskedMean(clipped.toType(mask.getDataType(), false), mask).getFloat());
            return out;
        });
        return new LossOutput(loss, metrics);
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
