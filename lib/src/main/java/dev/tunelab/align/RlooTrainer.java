package dev.tunelab.align;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tunelab.eval.RewardFunction;
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
 * REINFORCE Leave-One-Out (Ahmadian et al. 2024, "Back to Basics: Revisiting REINFORCE Style
 * Optimization for Learning from Human Feedback in LLMs"), one loop to read top to bottom; TRL's
 * RLOOTrainer is the reference implementation. Each step:
 *
 * <ol>
 *   <li>Sample k completions for each of {@code promptsPerStep} prompts and score them.</li>
 *   <li>The reward of a whole completion: its score minus beta times its KL to the reference,
 *       summed over its tokens (k1, log pi - log ref, as TRL). The paper treats the completion as
 *       one action: no per-token rewards, no value head, no GAE.</li>
 *   <li>Leave-one-out advantages: the reward minus the mean reward of the prompt's other k - 1
 *       completions ({@link GroupAdvantages#leaveOneOut}).</li>
 *   <li>{@code iterations} passes in minibatches, an AdamW step each, on the sequence-level loss
 *       max(-A ratio, -A clip(ratio, 1 - eps, 1 + eps)) with ratio = pi(y) / pi_old(y) of the
 *       whole completion; on fresh samples the ratio is 1 and its gradient is REINFORCE's,
 *       -A grad log pi(y).</li>
 * </ol>
 *
 * Unlike GRPO the KL to the reference is part of the reward, as in PPO, and the advantage is not
 * divided by the group's standard deviation.
 */
public final class RlooTrainer {
    private RlooTrainer() {}

    public static TrainResult fit(PeftModel policy, Tokenizer tokenizer, List<String> prompts, RewardFunction reward,
            RlooConfig cfg) {
        return TrainingLoop.of("rloo", cfg.train, policy).settings(cfg.toMap()).record("prompts", prompts.size())
                .refuse(Map.of("gradient_accumulation_steps", "RLOO's updates are its minibatches: set miniBatchSize",
                        "eval_batches", "RLOO has no held-out evaluation"))
                .dropout(false) // ratios must be 1 before any update, as in TRL's RLOO (dropout disabled)
                .progress("objective/scores", "objective/kl").chart("objective/scores", "objective/kl")
                .run((s, step) -> step(s, policy, tokenizer, prompts, reward, cfg, step));
    }

    /** One RLOO iteration: k samples per prompt, KL-penalised rewards, leave-one-out advantages, then the loss in minibatches. */
    private static Map<String, Double> step(TrainingLoop.Context s, PeftModel policy, Tokenizer tokenizer, List<String> prompts,
            RewardFunction reward, RlooConfig cfg, int step) {
        LlamaModel model = policy.model();
        long seed = cfg.train.seed();
        // 1. k samples of each prompt, side by side.
        Rollouts.Rollout rollout = Rollouts.sampleGroups(model, tokenizer, prompts, step, cfg.promptsPerStep, cfg.k,
                reward, cfg.maxNewTokens, cfg.stopAtEos, seed);
        CompletionBatch batch = rollout.batch();

        // 2. The sampling policy's and the reference's log-probabilities; the KL-penalised reward of each completion.
        NDManager m = s.scope();
        double[][] oldLogp = PerTokenRows.of(SequenceLogProbs.noGrad(model, batch, m).perToken());
        double[][] refLogp = PerTokenRows.of(SequenceLogProbs.reference(policy, batch, m).perToken());
        int[] lengths = batch.completions().stream().mapToInt(c -> c.length).toArray();
        // PPO's per-token rewards (-beta KL_t, the score on the last token) summed over each completion:
        // score - beta * sum_t (log pi - log ref), TRL RLOOTrainer's rlhf_reward = scores + non_score_reward
        TokenRewards rewards = TokenRewards.compute(oldLogp, refLogp, lengths, rollout.scores(), cfg.beta,
                KlEstimator.K1, batch.completionLength());
        double[] rlhfRewards = rowSums(rewards.perToken(), lengths);

        // 3. Leave-one-out advantages.
        double[] advantages = GroupAdvantages.leaveOneOut(rlhfRewards, cfg.k);

        // 4. The sequence-level loss, in minibatches.
        double[] oldSequenceLogp = rowSums(oldLogp, lengths);
        Map<String, Double> terms = PerTokenRows.updateInMinibatches(s, batch, cfg.iterations, cfg.miniBatchSize, seed, step,
                (mb, rows, scope) -> loss(model, mb, pick(oldSequenceLogp, rows), pick(advantages, rows), cfg.clipRange, scope));
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("objective/scores", rollout.meanScore());
        metrics.put("objective/kl", rewards.meanKl());
        metrics.put("objective/non_score_reward", -cfg.beta * rewards.meanKl());
        metrics.put("objective/rlhf_reward", mean(rlhfRewards));
        metrics.put("policy/clipfrac_avg", terms.get("clipfrac"));
        metrics.put("loss/policy_avg", terms.get("loss"));
        metrics.put("completion_length", rollout.meanLength());
        metrics.put("time/rollout_tokens_per_second", rollout.generatedTokens() / rollout.seconds());
        return metrics;
    }

    /**
     * The loss of minibatch {@code mb}: the policy's summed log-probability of each completion
     * against the sampling policy's ({@code oldSequenceLogp}, one per row) in {@link #sequenceLoss}.
     */
    public static LossOutput loss(LlamaModel model, CompletionBatch mb, double[] oldSequenceLogp, double[] advantages,
            double clipRange, NDManager m) {
        NDArray logp = SequenceLogProbs.compute(model, mb, m).sum();
        return sequenceLoss(logp, column(m, oldSequenceLogp, logp), column(m, advantages, logp), clipRange);
    }

    /**
     * mean over completions of max(-A ratio, -A clip(ratio, 1 - eps, 1 + eps)) with ratio =
     * exp(log pi(y) - log pi_old(y)) of whole completions (TRL RLOOTrainer); every argument is (B).
     * The share of completions whose ratio lies outside [1 - eps, 1 + eps] is logged as clipfrac.
     */
    public static LossOutput sequenceLoss(NDArray logp, NDArray oldLogp, NDArray advantages, double clipRange) {
        NDArray loss = PpoLoss.clippedSurrogate(logp, oldLogp, advantages, clipRange).mean();
        double clipped = Autograd.noGrad(() -> {
            float[] ratio = LogSpace.values(logp.sub(oldLogp).exp());
            double outside = 0;
            for (float r : ratio) {
                outside += r < 1 - clipRange || r > 1 + clipRange ? 1 : 0;
            }
            return outside / ratio.length;
        });
        return new LossOutput(loss, Map.of("clipfrac", clipped));
    }

    private static double[] rowSums(double[][] perToken, int[] lengths) {
        double[] out = new double[lengths.length];
        for (int b = 0; b < lengths.length; b++) {
            for (int t = 0; t < lengths[b]; t++) {
                out[b] += perToken[b][t];
            }
        }
        return out;
    }

    private static double[] pick(double[] values, int[] rows) {
        double[] out = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = values[rows[i]];
        }
        return out;
    }

    private static NDArray column(NDManager m, double[] values, NDArray like) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return m.create(f).toType(like.getDataType(), false);
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }
}
