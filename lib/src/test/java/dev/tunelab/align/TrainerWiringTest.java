package dev.tunelab.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.peft.TinyModels;
import dev.tunelab.train.LossOutput;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * How the alignment trainers put their pieces together, against hand computation on crafted
 * inputs: a flipped sign, a sum where a mean belongs or a score on the wrong token fails here,
 * even where "the reward went up" would still pass.
 */
class TrainerWiringTest {

    @Test
    void ppoRewardsPenaliseKlOnEveryTokenAndAddTheScoreOnTheLast() {
        // completion 0 has 3 tokens, completion 1 has 2 (its third column is padding)
        double[][] policy = {{-1, -2, -0.5}, {-0.2, -0.3, 0}};
        double[][] reference = {{-1.5, -1, -0.5}, {-0.1, -0.5, 0}};
        TokenRewards r = TokenRewards.compute(policy, reference, new int[] {3, 2}, new double[] {2, -1}, 0.1, KlEstimator.K1, 3);
        // K1 per token = logp - ref: (0.5, -1, 0) and (-0.1, 0.2)
        assertArrayEquals(new double[] {-0.05, 0.1, 2}, r.perToken()[0], 1e-12);
        assertArrayEquals(new double[] {0.01, -0.02 - 1, 0}, r.perToken()[1], 1e-12);
        // KL per completion summed over its tokens, averaged over completions: (-0.5 + 0.1) / 2
        assertEquals(-0.2, r.meanKl(), 1e-12);
        // the adaptive controller then moves beta by the clipped proportional error times episodes / horizon
        KlController controller = KlController.adaptive(0.1, 1.0, 100);
        controller.update(r.meanKl(), 2);
        assertEquals(0.1 * (1 - 0.2 * 2 / 100.0), controller.value(), 1e-15);
        // and the advantages PPO optimises are GAE's, whitened over the real tokens only
        double[][] mask = {{1, 1, 1}, {1, 1, 0}};
        double[][] whitened = Gae.whiten(Gae.compute(r.perToken(), new double[2][3], mask, 1, 1).advantages(), mask, true);
        assertEquals(0, whitened[1][2], 0);
        double sum = 0;
        for (int b = 0; b < 2; b++) for (int t = 0; t < 3; t++) sum += mask[b][t] * whitened[b][t];
        assertEquals(0, sum, 1e-9);
    }

    /** A LoRA policy whose adapters are not zero, so the policy and the reference differ. */
    static PeftModel movedPolicy(LlamaModel model) {
        PeftModel peft = Lora.apply(model, LoraConfig.builder().r(4).alpha(8).allLinear().seed(1).build());
        Random random = new Random(4);
        peft.adapterParameters("default").forEach((name, p) -> {
            if (name.contains("lora_B")) TinyModels.randomize(p, random, 0.3);
        });
        return peft;
    }

    static final List<long[]> PROMPTS = List.of(new long[] {1, 12, 13}, new long[] {1, 20});
    static final List<long[]> COMPLETIONS = List.of(new long[] {5, 6, 7}, new long[] {9, 10});
    static final List<PreferencePair> TWO_PAIRS = List.of(new PreferencePair(new long[] {1, 12}, new long[] {5, 6, 7}, new long[] {8}),
            new PreferencePair(new long[] {1, 20, 21}, new long[] {9, 4}, new long[] {10, 11, 3}));

    /** Per-token log-probabilities of each completion, scored one sequence at a time (no padding). */
    static double[][] tokenLogps(LlamaModel model, List<long[]> prompts, List<long[]> completions) {
        double[][] out = new double[prompts.size()][];
        for (int i = 0; i < prompts.size(); i++) {
            CompletionBatch one = CompletionBatch.of(List.of(prompts.get(i)), List.of(completions.get(i)));
            out[i] = Autograd.noGrad(() -> {
                try (NDManager m = model.manager().newSubManager()) {
                    return PerTokenRows.of(SequenceLogProbs.compute(model, one, m).perToken())[0];
                }
            });
        }
        return out;
    }

    @Test
    void grpoLossIsTheClippedSurrogatePlusBetaK3MeanPerCompletionThenOverCompletions() {
        try (LlamaModel model = TinyModels.model(11)) {
            PeftModel policy = movedPolicy(model);
            double[][] logp = tokenLogps(model, PROMPTS, COMPLETIONS);
            double[][] old = new double[2][3];
            double[][] ref = new double[2][3];
            double[] shift = {0.5, -0.1, 0.02, -0.4, 0.3};
            int k = 0;
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < logp[b].length; t++) {
                    old[b][t] = logp[b][t] + shift[k++]; // ratios exp(-shift): some outside [0.8, 1.2]
                    ref[b][t] = logp[b][t] - 0.2 * (t + 1);
                }
            }
            double[] advantages = {1.5, -0.7};
            double beta = 0.04, eps = 0.2;
            double expected = 0, clipped = 0, klSum = 0;
            for (int b = 0; b < 2; b++) {
                double perCompletion = 0;
                for (int t = 0; t < logp[b].length; t++) {
                    double ratio = Math.exp(logp[b][t] - old[b][t]);
                    double a = advantages[b];
                    double surrogate = -Math.min(ratio * a, Math.max(1 - eps, Math.min(1 + eps, ratio)) * a);
                    double x = ref[b][t] - logp[b][t];
                    double k3 = Math.exp(x) - x - 1; // DeepSeekMath eq. 4
                    perCompletion += surrogate + beta * k3;
                    clipped += ratio < 1 - eps || ratio > 1 + eps ? 1 : 0;
                    klSum += k3;
                }
                expected += perCompletion / logp[b].length / 2;
            }
            CompletionBatch batch = CompletionBatch.of(PROMPTS, COMPLETIONS);
            LossOutput out = Autograd.noGrad(() -> {
                try (NDManager m = model.manager().newSubManager()) {
                    LossOutput o = GrpoTrainer.loss(model, batch, new int[] {0, 1}, old, ref, advantages, beta, eps, m);
                    return new LossOutput(null, java.util.Map.of("loss", (double) o.loss().getFloat(),
                            "kl", o.metrics().get("kl"), "clip_ratio", o.metrics().get("clip_ratio")));
                }
            });
            assertEquals(expected, out.metrics().get("loss"), 1e-5);
            assertEquals(clipped / 5, out.metrics().get("clip_ratio"), 1e-6);
            assertEquals(klSum / 5, out.metrics().get("kl"), 1e-5);
        }
    }

    @Test
    void rlooOnFreshSamplesHasReinforcesGradientWithTheLeaveOneOutBaseline() {
        try (LlamaModel model = TinyModels.model(11)) {
            PeftModel policy = movedPolicy(model);
            // two prompts, k = 2 completions each (the groups side by side)
            List<long[]> prompts = List.of(PROMPTS.get(0), PROMPTS.get(0), PROMPTS.get(1), PROMPTS.get(1));
            List<long[]> completions = List.of(new long[] {5, 6, 7}, new long[] {8}, new long[] {9, 10}, new long[] {11, 3, 4});
            double[][] logp = tokenLogps(model, prompts, completions);
            double[][] ref = policy.withAdaptersDisabled(() -> tokenLogps(model, prompts, completions));
            double[] scores = {1.0, 0.0, 2.0, 3.0};
            double beta = 0.1;
            double[] rlhf = new double[4];
            double[] old = new double[4];
            for (int i = 0; i < 4; i++) {
                old[i] = sum(logp[i]);
                rlhf[i] = scores[i] - beta * (sum(logp[i]) - sum(ref[i])); // score - beta * KL (k1, summed)
            }
            // k = 2: each completion's baseline is the other one's reward
            double[] expectedAdvantages = {rlhf[0] - rlhf[1], rlhf[1] - rlhf[0], rlhf[2] - rlhf[3], rlhf[3] - rlhf[2]};
            int[] lengths = completions.stream().mapToInt(c -> c.length).toArray();
            double[][] perToken = TokenRewards.compute(logp, ref, lengths, scores, beta, KlEstimator.K1, 3).perToken();
            double[] fromTokenRewards = new double[4];
            for (int i = 0; i < 4; i++) fromTokenRewards[i] = sum(perToken[i]);
            double[] advantages = GroupAdvantages.leaveOneOut(fromTokenRewards, 2);
            assertArrayEquals(expectedAdvantages, advantages, 1e-9);

            // the loss's gradient at ratio 1 is REINFORCE's: -(1/N) sum_i A_i grad log pi(y_i), each scored alone
            var lora = policy.adapterParameters("default").values().iterator().next().data();
            CompletionBatch batch = CompletionBatch.of(prompts, completions);
            float[] rlooGrad;
            double lossValue;
            try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector();
                    NDManager m = model.manager().newSubManager()) {
                gc.zeroGradients();
                LossOutput o = RlooTrainer.loss(model, batch, old, advantages, 0.2, m);
                gc.backward(o.loss());
                lossValue = o.loss().getFloat();
                rlooGrad = lora.getGradient().toFloatArray();
            }
            float[] reinforceGrad;
            try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector();
                    NDManager m = model.manager().newSubManager()) {
                gc.zeroGradients();
                ai.djl.ndarray.NDArray objective = null;
                for (int i = 0; i < 4; i++) {
                    CompletionBatch one = CompletionBatch.of(List.of(prompts.get(i)), List.of(completions.get(i)));
                    var term = SequenceLogProbs.compute(model, one, m).sum().mul(-advantages[i] / 4);
                    objective = objective == null ? term : objective.add(term);
                }
                gc.backward(objective.sum());
                reinforceGrad = lora.getGradient().toFloatArray();
            }
            // the leave-one-out advantages of a group sum to 0, so the loss itself starts at -mean(A) = 0
            assertEquals(0.0, lossValue, 1e-6);
            double norm = 0;
            for (float g : reinforceGrad) norm = Math.max(norm, Math.abs(g));
            assertTrue(norm > 1e-4, "a gradient to compare: " + norm);
            assertArrayEquals(reinforceGrad, rlooGrad, (float) (1e-4 * norm));
        }
    }

    @Test
    void onlineDpoOrdersEachPairByTheJudgeAndTakesDpoOnThemAgainstTheReference() {
        // a rollout of two samples per prompt: (p, q, r) x 2; the judge prefers texts with "good"
        List<String> prompts = List.of("p", "p", "q", "q", "r", "r");
        List<long[]> promptIds = List.of(PROMPTS.get(0), PROMPTS.get(0), PROMPTS.get(1), PROMPTS.get(1), PROMPTS.get(0), PROMPTS.get(0));
        List<long[]> ids = List.of(new long[] {5, 6, 7}, new long[] {8}, new long[] {9, 10}, new long[] {11, 3, 4},
                new long[] {12}, new long[] {13, 14});
        List<String> texts = List.of("bad", "good", "good!", "bad", "meh", "meh too");
        var rollout = new Rollouts.Rollout(prompts, promptIds, ids, texts, new double[6], 12, 1.0);
        var judge = OnlineDpoTrainer.scoreJudge((prompt, c) -> c.contains("good") ? 1.0 : 0.0);
        OnlineDpoTrainer.JudgedPairs pairs = OnlineDpoTrainer.JudgedPairs.of(rollout, judge);
        assertEquals(List.of("good", "good!", "meh"), pairs.chosen());
        assertEquals(List.of("bad", "bad", "meh too"), pairs.rejected());
        assertEquals(1, pairs.ties()); // the third pair ties: the first sample stays chosen, as TRL's >=
        List<long[]> rows = pairs.batch().completions();
        assertArrayEquals(ids.get(1), rows.get(0));
        assertArrayEquals(ids.get(2), rows.get(1));
        assertArrayEquals(ids.get(4), rows.get(2));
        assertArrayEquals(ids.get(0), rows.get(3));
        assertArrayEquals(ids.get(3), rows.get(4));
        assertArrayEquals(ids.get(5), rows.get(5));
        assertArrayEquals(PROMPTS.get(1), pairs.batch().prompts().get(4));

        try (LlamaModel model = TinyModels.model(11)) {
            PeftModel policy = movedPolicy(model);
            List<long[]> pairPrompts = pairs.batch().prompts().subList(0, 3);
            double[][] pc = tokenLogps(model, pairPrompts, rows.subList(0, 3));
            double[][] pr = tokenLogps(model, pairPrompts, rows.subList(3, 6));
            double[][][] ref = policy.withAdaptersDisabled(() -> new double[][][] {
                    tokenLogps(model, pairPrompts, rows.subList(0, 3)), tokenLogps(model, pairPrompts, rows.subList(3, 6))});
            double beta = 0.5;
            double expected = 0;
            for (int i = 0; i < 3; i++) {
                double h = (sum(pc[i]) - sum(ref[0][i])) - (sum(pr[i]) - sum(ref[1][i]));
                expected += Math.log1p(Math.exp(-beta * h)) / 3; // -log sigmoid(beta h), Rafailov et al. 2023
            }
            double got = Autograd.noGrad(() -> {
                try (NDManager m = model.manager().newSubManager()) {
                    return (double) OnlineDpoTrainer.loss(policy, DpoLoss.sigmoid(beta), pairs.batch(), m).loss().getFloat();
                }
            });
            assertEquals(expected, got, 1e-5);
        }
    }

    @Test
    void rewardModelLossIsBradleyTerryOfTheScoreDifference() {
        try (LlamaModel model = TinyModels.model(11)) {
            RewardModel rm = new RewardModel(movedPolicy(model), null, 2);
            List<PreferencePair> pairs = List.of(new PreferencePair(new long[] {1, 12}, new long[] {5, 6}, new long[] {7}),
                    new PreferencePair(new long[] {1, 20, 21}, new long[] {9}, new long[] {10, 11, 3}));
            double[][] scores = rm.pairScores(pairs);
            double expected = 0;
            int correct = 0;
            for (int i = 0; i < 2; i++) {
                double margin = scores[0][i] - scores[1][i];
                expected += Math.log1p(Math.exp(-margin)) / 2; // -log sigmoid(margin)
                correct += margin > 0 ? 1 : 0;
            }
            double[] got = Autograd.noGrad(() -> {
                try (NDManager m = model.manager().newSubManager()) {
                    LossOutput o = rm.loss(pairs, new int[] {0, 1}, m);
                    return new double[] {o.loss().getFloat(), o.metrics().get("accuracy")};
                }
            });
            assertEquals(expected, got[0], 1e-5);
            assertEquals(correct / 2.0, got[1], 0);
            rm.head().close();
        }
    }

    @Test
    void dpoUsesSummedAndIpoMeanLogProbabilitiesAgainstTheAdapterFreeReference() {
        try (LlamaModel model = TinyModels.model(11)) {
            PeftModel policy = movedPolicy(model);
            List<PreferencePair> pairs = TWO_PAIRS;
            List<long[]> prompts = pairs.stream().map(PreferencePair::prompt).toList();
            double[][] pc = tokenLogps(model, prompts, pairs.stream().map(PreferencePair::chosen).toList());
            double[][] pr = tokenLogps(model, prompts, pairs.stream().map(PreferencePair::rejected).toList());
            double[][][] ref = policy.withAdaptersDisabled(() -> new double[][][] {
                    tokenLogps(model, prompts, pairs.stream().map(PreferencePair::chosen).toList()),
                    tokenLogps(model, prompts, pairs.stream().map(PreferencePair::rejected).toList())});
            double beta = 0.5;
            double dpo = 0, ipo = 0;
            for (int i = 0; i < 2; i++) {
                double sumMargin = (sum(pc[i]) - sum(ref[0][i])) - (sum(pr[i]) - sum(ref[1][i]));
                dpo += Math.log1p(Math.exp(-beta * sumMargin)) / 2; // -log sigmoid(beta * margin), Rafailov et al. 2023
                double meanMargin = (mean(pc[i]) - mean(ref[0][i])) - (mean(pr[i]) - mean(ref[1][i]));
                ipo += Math.pow(meanMargin - 1 / (2 * beta), 2) / 2; // (h - 1/(2 tau))^2, Azar et al. 2023; TRL averages log-probs
            }
            ReferenceLogProbs refLogps = ReferenceLogProbs.compute(policy, pairs, 8, false);
            assertEquals(dpo, lossOf(policy, DpoLoss.sigmoid(beta), pairs, refLogps), 1e-5);
            assertEquals(ipo, lossOf(policy, DpoLoss.ipo(beta), pairs, refLogps), 1e-5);
        }
    }

    @Test
    void simpoUsesMeanAndCpoSummedPolicyLogProbabilitiesWithNoReferenceAtAll() {
        try (LlamaModel model = TinyModels.model(11)) {
            PeftModel policy = movedPolicy(model);
            List<PreferencePair> pairs = TWO_PAIRS;
            List<long[]> prompts = pairs.stream().map(PreferencePair::prompt).toList();
            double[][] pc = tokenLogps(model, prompts, pairs.stream().map(PreferencePair::chosen).toList());
            double[][] pr = tokenLogps(model, prompts, pairs.stream().map(PreferencePair::rejected).toList());
            double beta = 0.5, gamma = 0.3, alpha = 0.7;
            double simpo = 0, cpo = 0, nll = 0;
            int chosenTokens = 0;
            for (int i = 0; i < 2; i++) {
                double z = beta * (mean(pc[i]) - mean(pr[i])) - gamma; // Meng et al. 2024, eq. 6
                simpo += Math.log1p(Math.exp(-z)) / 2;
                cpo += Math.log1p(Math.exp(-beta * (sum(pc[i]) - sum(pr[i])))) / 2; // Xu et al. 2024, DPO without a reference
                nll -= sum(pc[i]);
                chosenTokens += pc[i].length;
            }
            cpo += alpha * nll / chosenTokens;
            assertFalse(new SimpoLoss(beta, gamma).needsReference());
            assertFalse(new CpoLoss(beta, alpha).needsReference());
            // a null reference: the trainer never computes one for these methods
            assertEquals(simpo, lossOf(policy, new SimpoLoss(beta, gamma), pairs, null), 1e-5);
            assertEquals(cpo, lossOf(policy, new CpoLoss(beta, alpha), pairs, null), 1e-5);
        }
    }

    @Test
    void ktoEstimatesKlOnEachPromptWithTheNextPairsCompletions() {
        try (LlamaModel model = TinyModels.model(11)) {
            PeftModel policy = movedPolicy(model);
            List<PreferencePair> pairs = List.of(new PreferencePair(new long[] {1, 12}, new long[] {5, 6, 7}, new long[] {8}),
                    new PreferencePair(new long[] {1, 20, 21}, new long[] {9, 4}, new long[] {10, 11, 3}),
                    new PreferencePair(new long[] {1, 30}, new long[] {2}, new long[] {14, 15}));
            for (int i = 0; i < pairs.size(); i++) {
                assertEquals(pairs.get((i + 1) % 3), ReferenceLogProbs.mismatched(pairs, i), "pair " + i);
            }
            // the reference's KL log-probabilities are those of prompt i with pair i+1's completions
            ReferenceLogProbs ref = ReferenceLogProbs.compute(policy, pairs, 8, true);
            List<long[]> prompts = pairs.stream().map(PreferencePair::prompt).toList();
            List<long[]> nextChosen = List.of(pairs.get(1).chosen(), pairs.get(2).chosen(), pairs.get(0).chosen());
            double[][] expected = policy.withAdaptersDisabled(() -> tokenLogps(model, prompts, nextChosen));
            for (int i = 0; i < 3; i++) {
                assertEquals(sum(expected[i]), ref.klChosen()[i], 1e-5, "pair " + i);
            }
        }
    }

    static double lossOf(PeftModel policy, PreferenceMethod method, List<PreferencePair> pairs, ReferenceLogProbs ref) {
        return Autograd.noGrad(() -> {
            try (NDManager m = policy.model().manager().newSubManager()) {
                return (double) PreferenceTrainer.loss(policy, method, pairs, ref, new int[] {0, 1}, m).loss().getFloat();
            }
        });
    }

    static double sum(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return s;
    }

    static double mean(double[] x) {
        return sum(x) / x.length;
    }
}
