package dev.tunelab.align;

import dev.tunelab.eval.RewardFunction;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.display.Renderable;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.train.LossOutput;
import dev.tunelab.train.TrainConfig;
import dev.tunelab.train.TrainResult;
import dev.tunelab.train.TrainingLoop;
import dev.tunelab.track.Run;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * RLHF with PPO (Ziegler et al. 2019; Ouyang et al. 2022, InstructGPT), written out as one loop
 * to read top to bottom. TRL's PPOTrainer is the reference implementation it follows. Each step:
 *
 * <ol>
 *   <li>Rollout: sample a completion for each of {@code batchSize} prompts from the policy and
 *       score it with the reward function.</li>
 *   <li>Score the tokens: the rollout policy's log-probabilities and values, and the reference
 *       model's log-probabilities (the same base with its LoRA adapters turned off).</li>
 *   <li>Rewards per token: -beta * KL_t to the reference on every token, plus the score on the
 *       last one. GAE turns them into advantages (whitened) and value targets.</li>
 *   <li>Optimise: {@code ppoEpochs} passes over the batch in shuffled minibatches, each an AdamW
 *       step on the clipped PPO loss of the adapters and the value head; a pass ends early when
 *       the policy has moved too far from the rollout policy (approx-KL above 1.5 x targetKl).</li>
 *   <li>Update the KL coefficient (adaptive controller) and log.</li>
 * </ol>
 *
 * The critic is a {@link ScalarHead} on the policy's hidden states, which its loss does not train
 * (the hidden states are detached), with its gradient clipped on its own: a separate value model
 * as in TRL's current PPOTrainer and OpenRLHF, at the cost of one linear layer. Sharing the
 * adapters, as TRL's older AutoModelForCausalLMWithValueHead did, let the value loss (which grows
 * with beta * KL) drive the policy away from the reference. Logged metric names are those of
 * TRL's PPOTrainer.
 */
public final class PpoTrainer {
    private PpoTrainer() {}

    /** The training run and the trained value head; the policy's adapters are trained in place. */
    public record PpoResult(TrainResult training, ScalarHead valueHead, int earlyStops) implements Renderable {
        public Run run() {
            return training.run();
        }

        @Override
        public Map<String, String> mimeBundle() {
            return training.mimeBundle();
        }

        @Override
        public String toString() {
            return training + ", " + earlyStops + " early-stopped iterations";
        }
    }

    public static PpoResult fit(PeftModel policy, Tokenizer tokenizer, List<String> prompts, RewardFunction reward,
            PpoConfig cfg) {
        LlamaModel model = policy.model();
        TrainConfig tc = cfg.train;
        ScalarHead valueHead = ScalarHead.create(model, tc.seed());
        KlController klController = cfg.klController();
        int[] earlyStops = {0};
        try {
            TrainResult result = TrainingLoop.of("ppo", tc, policy).separateParameters("v_head.", valueHead.parameters())
                    .settings(cfg.toMap()).record("prompts", prompts.size())
                    .refuse(Map.of("gradient_accumulation_steps", "PPO's updates are its minibatches: set miniBatchSize",
                            "eval_batches", "PPO has no held-out evaluation"))
                    // Dropout off throughout, as TRL's PPO does: with it, the ratio of new to rollout probabilities
                    // would differ from 1 by noise even before any update, and the clipping would act on that noise.
                    .dropout(false)
                    .trainerState(new TrainingLoop.TrainerState() {
                        public Map<String, Object> save() { return Map.of("kl_coef", klController.value(), "early_stops", earlyStops[0]); }
                        public void restore(Map<String, Object> saved) {
                            klController.restore(((Number) saved.get("kl_coef")).doubleValue());
                            earlyStops[0] = ((Number) saved.get("early_stops")).intValue();
                        }
                    })
                    .progress("objective/scores", "objective/kl").chart("objective/scores", "objective/kl")
                    .run((s, step) -> {
                        Map<String, Double> metrics = step(s, policy, valueHead, tokenizer, prompts, reward, klController, cfg, step);
                        earlyStops[0] += metrics.get("ppo/early_stopped") > 0 ? 1 : 0;
                        s.summary("early_stops", earlyStops[0]);
                        return metrics;
                    });
            return new PpoResult(result, valueHead, earlyStops[0]);
        } catch (RuntimeException | Error e) {
            valueHead.close();
            throw e;
        }
    }

    /** One PPO iteration: rollout, scoring, per-token rewards and GAE, then the PPO epochs; returns TRL's metrics. */
    private static Map<String, Double> step(TrainingLoop.Context s, PeftModel policy, ScalarHead valueHead, Tokenizer tokenizer,
            List<String> prompts, RewardFunction reward, KlController klController, PpoConfig cfg, int step) {
        LlamaModel model = policy.model();
        long seed = cfg.train.seed();
        double beta = klController.value();

        // 1. Rollout: sample and score.
        List<String> stepPrompts = Rollouts.promptsFor(prompts, step, cfg.batchSize, seed);
        Rollouts.Rollout rollout = Rollouts.sample(model, tokenizer, stepPrompts, reward, cfg.maxNewTokens,
                cfg.stopAtEos, seed * 1_000_003L + step);
        CompletionBatch batch = rollout.batch();
        NDManager m = s.scope();

        // 2. Log-probabilities and values of the rollout policy, log-probabilities of the reference.
        double[][] mask = PerTokenRows.of(batch.completionMask(m, DataType.FLOAT32));
        NDArray[] logpAndValues = Autograd.noGrad(() -> {
            NDArray hidden = model.hidden(batch.inputIds(m), batch.attentionMask(m), null, null);
            return new NDArray[] {SequenceLogProbs.fromLogits(model.logits(hidden), batch, m).perToken(),
                    valueHead.forward(hidden).gather(batch.predictingPositions(m), 1)};
        });
        double[][] oldLogp = PerTokenRows.of(logpAndValues[0]);
        double[][] oldValues = PerTokenRows.of(logpAndValues[1]);
        double[][] refLogp = PerTokenRows.of(SequenceLogProbs.reference(policy, batch, m).perToken());

        // 3. Per-token rewards: the KL penalty everywhere, the score on the last token; then GAE.
        int[] lengths = batch.completions().stream().mapToInt(c -> c.length).toArray();
        TokenRewards rewards = TokenRewards.compute(oldLogp, refLogp, lengths, rollout.scores(), beta, cfg.klEstimator,
                batch.completionLength());
        Gae.Result gae = Gae.compute(rewards.perToken(), oldValues, mask, cfg.gamma, cfg.lambda);
        double[][] advantages = Gae.whiten(gae.advantages(), mask, true);

        // 4. PPO epochs over shuffled minibatches.
        MinibatchStats stats = new MinibatchStats();
        long optimisationStart = System.nanoTime();
        boolean stop = false;
        for (int epoch = 0; epoch < cfg.ppoEpochs && !stop; epoch++) {
            var random = new SplittableRandom(seed * 7919L + step * 131L + epoch);
            for (int[] rows : PerTokenRows.minibatches(batch.size(), cfg.miniBatchSize, random)) {
                CompletionBatch mb = PerTokenRows.pick(batch, rows);
                stop = s.update((micro, scope) -> minibatchLoss(model, valueHead, mb, rows, oldLogp, oldValues, advantages,
                        gae.returns(), cfg, scope, stats)) == null;
                if (stop) {
                    break;
                }
            }
        }
        double optimisationSeconds = (System.nanoTime() - optimisationStart) / 1e9;

        // 5. KL controller and logging.
        klController.update(rewards.meanKl(), batch.size());
        double meanScore = rollout.meanScore();
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("objective/scores", meanScore);
        metrics.put("objective/kl", rewards.meanKl());
        metrics.put("objective/non_score_reward", -beta * rewards.meanKl());
        metrics.put("objective/rlhf_reward", meanScore - beta * rewards.meanKl());
        metrics.put("objective/kl_coef", beta);
        metrics.putAll(stats.averages());
        metrics.put("val/mean", Gae.maskedMean(oldValues, mask));
        metrics.put("returns/mean", Gae.maskedMean(gae.returns(), mask));
        metrics.put("completion_length", rollout.meanLength());
        metrics.put("ppo/updates", (double) stats.updates);
        metrics.put("ppo/early_stopped", stop ? 1.0 : 0.0);
        metrics.put("time/rollout_tokens_per_second", rollout.generatedTokens() / rollout.seconds());
        metrics.put("time/optimisation_step_seconds", optimisationSeconds / Math.max(stats.updates, 1));
        return metrics;
    }

    /**
     * The PPO loss of minibatch {@code mb}, rows {@code rows} of the rollout batch; null, so that
     * no update is taken, when the policy has drifted past the early-stop threshold.
     */
    private static LossOutput minibatchLoss(LlamaModel model, ScalarHead valueHead, CompletionBatch mb, int[] rows,
            double[][] oldLogp, double[][] oldValues, double[][] advantages, double[][] returns, PpoConfig cfg,
            NDManager m, MinibatchStats stats) {
        int cols = mb.completionLength();
        NDArray hidden = model.hidden(mb.inputIds(m), mb.attentionMask(m), null, null);
        NDArray logits = model.logits(hidden);
        SequenceLogProbs logp = SequenceLogProbs.fromLogits(logits, mb, m);
        NDArray positions = mb.predictingPositions(m);
        // The critic reads the policy's hidden states but its loss does not train them: returns grow
        // with beta * KL, and a value loss through the shared adapters would push the policy away
        // from the reference (measured: KL 34 nats at beta 39 against a target of 3).
        NDArray values = valueHead.forward(hidden.stopGradient()).gather(positions, 1);
        DataType dtype = model.dtype();
        PpoLoss.Terms terms = PpoLoss.compute(logp.perToken(), PerTokenRows.select(m, oldLogp, rows, cols, dtype),
                PerTokenRows.select(m, advantages, rows, cols, dtype), values,
                PerTokenRows.select(m, oldValues, rows, cols, dtype), PerTokenRows.select(m, returns, rows, cols, dtype),
                logp.mask(), cfg.clipRange, cfg.clipRangeValue, cfg.valueCoef);
        if (cfg.targetKl > 0 && terms.approxKl() > 1.5 * cfg.targetKl) {
            return null;
        }
        double entropy = Autograd.noGrad(() -> PpoLoss.maskedMean(PpoLoss.entropy(logits).gather(positions, 1),
                logp.mask()).getFloat());
        stats.add(terms, entropy);
        return new LossOutput(terms.loss(), Map.of());
    }

    /** Running means of the minibatch terms, named as TRL's PPOTrainer logs them. */
    private static final class MinibatchStats {
        int updates;
        double policyLoss, valueLoss, clipFraction, valueClipFraction, approxKl, entropy;

        void add(PpoLoss.Terms t, double tokenEntropy) {
            updates++;
            policyLoss += t.policyLoss();
            valueLoss += t.valueLoss();
            clipFraction += t.clipFraction();
            valueClipFraction += t.valueClipFraction();
            approxKl += t.approxKl();
            entropy += tokenEntropy;
        }

        Map<String, Double> averages() {
            double n = Math.max(updates, 1);
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("loss/policy_avg", policyLoss / n);
            m.put("loss/value_avg", valueLoss / n);
            m.put("policy/clipfrac_avg", clipFraction / n);
            m.put("val/clipfrac_avg", valueClipFraction / n);
            m.put("policy/approxkl_avg", approxKl / n);
            m.put("policy/entropy_avg", entropy / n);
            return m;
        }
    }
}
