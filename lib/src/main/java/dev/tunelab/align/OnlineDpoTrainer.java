package dev.tunelab.align;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tunelab.eval.RewardFunction;
import dev.tunelab.eval.WinRate;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.train.LossOutput;
import dev.tunelab.train.TrainResult;
import dev.tunelab.train.TrainingLoop;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Online DPO (Guo et al. 2024, "Direct Language Model Alignment from Online AI Feedback"), one
 * loop to read top to bottom; TRL's OnlineDPOTrainer is the reference implementation. Each step:
 *
 * <ol>
 *   <li>Sample two completions of each of {@code promptsPerStep} prompts from the current policy.</li>
 *   <li>A judge (a rule, a reward model, an AI labeller) says which of the two is better: that one
 *       is chosen, the other rejected; a tie keeps the first as chosen, as TRL's
 *       {@code scores[:n] >= scores[n:]} does (a pair of equal completions has no gradient).</li>
 *   <li>One DPO step on those pairs at once, against the reference model (the adapters disabled).</li>
 * </ol>
 *
 * Offline DPO learns from pairs some other model wrote; here the pairs always come from the
 * policy being trained, so the judge keeps correcting what it currently does.
 */
public final class OnlineDpoTrainer {
    private OnlineDpoTrainer() {}

    /** A judge from a reward: the completion with the higher score wins, equal scores tie. */
    public static WinRate.Judge scoreJudge(RewardFunction reward) {
        return (prompt, a, b) -> {
            double sa = reward.score(prompt, a);
            double sb = reward.score(prompt, b);
            return sa > sb ? WinRate.Verdict.A : sb > sa ? WinRate.Verdict.B : WinRate.Verdict.TIE;
        };
    }

    public static TrainResult fit(PeftModel policy, Tokenizer tokenizer, List<String> prompts, WinRate.Judge judge,
            OnlineDpoConfig cfg) {
        return TrainingLoop.of("online-dpo", cfg.train, policy).settings(cfg.toMap()).record("prompts", prompts.size())
                .refuse(Map.of("gradient_accumulation_steps", "each step trains on the pairs it sampled: set promptsPerStep",
                        "eval_batches", "online DPO has no held-out evaluation"))
                .dropout(false) // TRL disables dropout: the implicit rewards must not move by noise
                .progress("loss", "rewards/margins").chart("loss", "rewards/margins")
                .run((s, step) -> step(s, policy, tokenizer, prompts, judge, cfg, step));
    }

    private static Map<String, Double> step(TrainingLoop.Context s, PeftModel policy, Tokenizer tokenizer, List<String> prompts,
            WinRate.Judge judge, OnlineDpoConfig cfg, int step) {
        LlamaModel model = policy.model();
        // 1. Two samples of each prompt, side by side.
        RewardFunction scores = cfg.monitor != null ? cfg.monitor : (p, c) -> 0.0;
        Rollouts.Rollout rollout = Rollouts.sampleGroups(model, tokenizer, prompts, step, cfg.promptsPerStep, 2, scores,
                cfg.maxNewTokens, cfg.stopAtEos, cfg.train.seed());
        // 2. The judge orders each pair.
        JudgedPairs pairs = JudgedPairs.of(rollout, judge);
        // 3. One DPO step on all of them.
        Map<String, Double> metrics = new LinkedHashMap<>(s.update((micro, m) -> loss(policy, cfg.loss, pairs.batch(), m)));
        metrics.put("judge/ties", pairs.tieFraction());
        if (cfg.monitor != null) {
            metrics.put("objective/scores", rollout.meanScore());
        }
        metrics.put("completion_length", rollout.meanLength());
        return metrics;
    }

    /**
     * The judged pairs of a rollout of two completions per prompt (completions 2i and 2i + 1 share a prompt).
     *
     * @param batch the chosen completions (rows 0..n-1), then the rejected ones (rows n..2n-1)
     * @param chosen the chosen completions' text, one per prompt
     * @param rejected the rejected completions' text
     * @param ties pairs the judge could not separate (the first sample was kept as chosen)
     */
    public record JudgedPairs(List<String> prompts, List<String> chosen, List<String> rejected, CompletionBatch batch, int ties) {
        public static JudgedPairs of(Rollouts.Rollout rollout, WinRate.Judge judge) {
            int n = rollout.size() / 2;
            List<String> prompts = new ArrayList<>();
            List<String> chosen = new ArrayList<>();
            List<String> rejected = new ArrayList<>();
            List<long[]> promptIds = new ArrayList<>();
            List<long[]> chosenIds = new ArrayList<>();
            List<long[]> rejectedIds = new ArrayList<>();
            int ties = 0;
            for (int i = 0; i < n; i++) {
                int a = 2 * i;
                int b = 2 * i + 1;
                WinRate.Verdict v = judge.judge(rollout.prompts().get(a), rollout.completions().get(a), rollout.completions().get(b));
                if (v == null) {
                    throw new IllegalStateException("the judge returned null for prompt " + i);
                }
                ties += v == WinRate.Verdict.TIE ? 1 : 0;
                int win = v == WinRate.Verdict.B ? b : a;
                int lose = win == a ? b : a;
                prompts.add(rollout.prompts().get(a));
                chosen.add(rollout.completions().get(win));
                rejected.add(rollout.completions().get(lose));
                promptIds.add(rollout.promptIds().get(a));
                chosenIds.add(rollout.completionIds().get(win));
                rejectedIds.add(rollout.completionIds().get(lose));
            }
            List<long[]> allPrompts = new ArrayList<>(promptIds);
            allPrompts.addAll(promptIds);
            List<long[]> allCompletions = new ArrayList<>(chosenIds);
            allCompletions.addAll(rejectedIds);
            return new JudgedPairs(prompts, chosen, rejected, CompletionBatch.of(allPrompts, allCompletions), ties);
        }

        public int size() {
            return prompts.size();
        }

        public double tieFraction() {
            return (double) ties / size();
        }
    }

    /**
     * The DPO loss of the pairs in {@code chosenThenRejected} (chosen rows first): the policy's
     * log-probabilities with the graph recorded, the reference's (adapters disabled) without.
     */
    public static LossOutput loss(PeftModel policy, DpoLoss dpo, CompletionBatch chosenThenRejected, NDManager m) {
        int n = chosenThenRejected.size() / 2;
        SequenceLogProbs lp = SequenceLogProbs.compute(policy.model(), chosenThenRejected, m);
        SequenceLogProbs ref = SequenceLogProbs.reference(policy, chosenThenRejected, m);
        NDArray p = dpo.usesMeanLogProbs() ? lp.mean() : lp.sum();
        NDArray r = dpo.usesMeanLogProbs() ? ref.mean() : ref.sum();
        return dpo.compute(p.get("0:" + n), p.get(n + ":"), r.get("0:" + n), r.get(n + ":"));
    }
}
