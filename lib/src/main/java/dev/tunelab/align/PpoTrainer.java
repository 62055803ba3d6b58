package dev.tunelab.align;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
 * The value head is a {@link ScalarHead} on the policy's own hidden states (TRL's
 * AutoModelForCausalLMWithValueHead): the value loss trains it and, through the shared hidden
 * states, the adapters too. Logged metric names are those of TRL's PPOTrainer.
 */
public final class PpoTrainer {
    private PpoTrainer() {}

    /** The run record (metrics by step) and the trained value head; the policy's adapters are trained in place. */
    public record PpoResult(Run run, ScalarHead valueHead, int steps, int earlyStops) {}

    public static PpoResult train(PeftModel policy, Tokenizer tokenizer, List<String> prompts, RewardFunction reward,
            PpoConfig cfg) {
        LlamaModel model = policy.model();
        ScalarHead valueHead = ScalarHead.create(model, cfg.seed);
        Map<String, Parameter> params = new LinkedHashMap<>(model.trainableParameters());
        if (params.isEmpty()) {
            throw new IllegalArgumentException("the policy has no trainable parameters: attach LoRA adapters first");
        }
        valueHead.parameters().forEach((name, p) -> params.put("v_head." + name, p));
        KlController klController = cfg.klController();
        Run run = Settings.startRun("ppo", cfg.toMap(), policy, prompts.size(), cfg.runName, cfg.runsDir);
        ProgressBar bar = cfg.progress ? ProgressBar.start(cfg.runName, cfg.steps) : null;
        int earlyStops = 0;
        boolean wasTraining = model.isTraining();
        // Dropout off throughout, as TRL's PPO does: with it, the ratio of new to rollout probabilities
        // would differ from 1 by noise even before any update, and the clipping would act on that noise.
        model.train(false);
        try (AdamW optimizer = new AdamW(params, 0.9, 0.999, 1e-8, 0)) {
            for (int step = 0; step < cfg.steps; step++) {
                double beta = klController.value();

                // 1. Rollout: sample and score.
                List<String> stepPrompts = Rollouts.promptsFor(prompts, step, cfg.batchSize, cfg.seed);
                Rollouts.Rollout rollout = Rollouts.sample(model, tokenizer, stepPrompts, reward, cfg.maxNewTokens,
                        cfg.stopAtEos, cfg.seed * 1_000_003L + step);
                CompletionBatch batch = rollout.batch();

                Map<String, Object> metrics = new LinkedHashMap<>();
                try (NDManager m = model.manager().newSubManager()) {
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
                    double[][] rewards = new double[batch.size()][batch.completionLength()];
                    double klSum = 0;
                    for (int b = 0; b < batch.size(); b++) {
                        int last = batch.completions().get(b).length - 1;
                        for (int t = 0; t <= last; t++) {
                            double kl = cfg.klEstimator.perToken(oldLogp[b][t], refLogp[b][t]);
                            klSum += kl;
                            rewards[b][t] = -beta * kl;
                        }
                        rewards[b][last] += rollout.scores()[b];
                    }
                    double meanKl = klSum / batch.size(); // KL per completion, summed over its tokens
                    Gae.Result gae = Gae.compute(rewards, oldValues, mask, cfg.gamma, cfg.lambda);
                    double[][] advantages = Gae.whiten(gae.advantages(), mask, true);

                    // 4. PPO epochs over shuffled minibatches.
                    MinibatchStats stats = new MinibatchStats();
                    long optimisationStart = System.nanoTime();
                    boolean stop = false;
                    for (int epoch = 0; epoch < cfg.ppoEpochs && !stop; epoch++) {
                        var random = new SplittableRandom(cfg.seed * 7919L + step * 131L + epoch);
                        for (int[] rows : PerTokenRows.minibatches(batch.size(), cfg.miniBatchSize, random)) {
                            stop = !minibatchStep(model, valueHead, PerTokenRows.pick(batch, rows), rows, oldLogp, oldValues,
                                    advantages, gae.returns(), cfg, params, optimizer, m, stats);
                            if (stop) {
                                break;
                            }
                        }
                    }
                    earlyStops += stop ? 1 : 0;
                    double optimisationSeconds = (System.nanoTime() - optimisationStart) / 1e9;

                    // 5. KL controller and logging.
                    klController.update(meanKl, batch.size());
                    double meanScore = rollout.meanScore();
                    metrics.put("objective/scores", meanScore);
                    metrics.put("objective/kl", meanKl);
                    metrics.put("objective/non_score_reward", -beta * meanKl);
                    metrics.put("objective/rlhf_reward", meanScore - beta * meanKl);
                    metrics.put("objective/kl_coef", beta);
                    metrics.putAll(stats.averages());
                    metrics.put("val/mean", Gae.maskedMean(oldValues, mask));
                    metrics.put("returns/mean", Gae.maskedMean(gae.returns(), mask));
                    metrics.put("completion_length", rollout.meanLength());
                    metrics.put("ppo/updates", stats.updates);
                    metrics.put("ppo/early_stopped", stop ? 1 : 0);
                    metrics.put("time/rollout_tokens_per_second", rollout.generatedTokens() / rollout.seconds());
                    metrics.put("time/optimisation_step_seconds", optimisationSeconds / Math.max(stats.updates, 1));
                }
                run.log(step + 1, metrics);
                if (bar != null) {
                    bar.step(step + 1, Map.of("reward", (Double) metrics.get("objective/scores"),
                            "kl", (Double) metrics.get("objective/kl")));
                }
            }
            if (bar != null) {
                bar.finish();
            }
            Map<String, Object> last = run.history().get(run.history().size() - 1);
            run.summary(Map.of("final_score", last.get("objective/scores"), "final_kl", last.get("objective/kl"),
                    "early_stops", earlyStops, "steps", cfg.steps));
            run.finish(0);
            return new PpoResult(run, valueHead, cfg.steps, earlyStops);
        } catch (RuntimeException | Error e) {
            run.finish(1);
            valueHead.close();
            throw e;
        } finally {
            model.train(wasTraining);
        }
    }

    /**
     * One AdamW step on the PPO loss of minibatch {@code mb}, rows {@code rows} of the rollout batch.
     * Returns false, without updating, when the policy has drifted past the early-stop threshold.
     */
    private static boolean minibatchStep(LlamaModel model, ScalarHead valueHead, CompletionBatch mb, int[] rows,
            double[][] oldLogp, double[][] oldValues, double[][] advantages, double[][] returns, PpoConfig cfg,
            Map<String, Parameter> params, AdamW optimizer, NDManager parent, MinibatchStats stats) {
        int cols = mb.completionLength();
        try (NDManager m = parent.newSubManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray hidden = model.hidden(mb.inputIds(m), mb.attentionMask(m), null, null);
                NDArray logits = model.logits(hidden);
                SequenceLogProbs logp = SequenceLogProbs.fromLogits(logits, mb, m);
                NDArray positions = mb.predictingPositions(m);
                NDArray values = valueHead.forward(hidden).gather(positions, 1);
                DataType dtype = model.dtype();
                PpoLoss.Terms terms = PpoLoss.compute(logp.perToken(), PerTokenRows.select(m, oldLogp, rows, cols, dtype),
                        PerTokenRows.select(m, advantages, rows, cols, dtype), values,
                        PerTokenRows.select(m, oldValues, rows, cols, dtype), PerTokenRows.select(m, returns, rows, cols, dtype),
                        logp.mask(), cfg.clipRange, cfg.clipRangeValue, cfg.valueCoef);
                if (cfg.targetKl > 0 && terms.approxKl() > 1.5 * cfg.targetKl) {
                    return false;
                }
                gc.backward(terms.loss());
                double entropy = Autograd.noGrad(() -> PpoLoss.maskedMean(PpoLoss.entropy(logits).gather(positions, 1),
                        logp.mask()).getFloat());
                stats.add(terms, entropy);
            }
            Trainer.clipGradNorm(params, cfg.clipNorm);
            optimizer.step(cfg.learningRate);
            optimizer.zeroGrad();
        }
        return true;
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

        Map<String, Object> averages() {
            double n = Math.max(updates, 1);
            Map<String, Object> m = new LinkedHashMap<>();
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
