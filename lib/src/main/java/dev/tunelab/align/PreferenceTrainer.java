package dev.tunelab.align;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.train.LossOutput;
import dev.tunelab.train.TrainConfig;
import dev.tunelab.train.TrainResult;
import dev.tunelab.train.TrainingLoop;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Preference optimisation of a LoRA policy (DPO, IPO, ORPO, KTO, SimPO, CPO), written out as a recipe:
 * the reference log-probabilities are computed once with the adapters disabled (not at all for the
 * reference-free ORPO, SimPO and CPO); then each step scores
 * a batch of pairs with the policy in one forward pass (chosen and rejected rows concatenated, as
 * TRL's {@code concatenated_forward}) and takes the method's loss; {@link TrainingLoop} does the
 * rest (accumulation, clipping, AdamW, logging, evaluation, checkpoints as PEFT adapter folders).
 * Metrics are logged under TRL's names to the run record; held-out metrics get an {@code eval_} prefix.
 */
public final class PreferenceTrainer {
    private PreferenceTrainer() {}

    /**
     * @param policy LoRA adapters on the reference model (only they train)
     * @param train preference pairs, visited in an order shuffled per epoch with the config's seed
     * @param eval held-out pairs (may be empty): loss, rewards/accuracies and margins there
     */
    public static TrainResult fit(PeftModel policy, List<PreferencePair> train, List<PreferencePair> eval,
            PreferenceConfig cfg) {
        PreferenceMethod method = cfg.method;
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no preference pairs to train on");
        }
        boolean kto = method instanceof KtoLoss;
        if (kto && train.size() < 2) {
            throw new IllegalArgumentException("KTO's KL estimate pairs prompts with other pairs' completions: need at least 2 pairs");
        }
        TrainConfig tc = cfg.train;
        ReferenceLogProbs trainRef = null;
        ReferenceLogProbs evalRef = null;
        if (method.needsReference()) {
            trainRef = ReferenceLogProbs.compute(policy, train, cfg.referenceBatchSize, kto);
            evalRef = eval.isEmpty() ? null : ReferenceLogProbs.compute(policy, eval, cfg.referenceBatchSize, kto);
        }
        ReferenceLogProbs ref = trainRef;
        ReferenceLogProbs heldOutRef = evalRef;
        TrainingLoop loop = TrainingLoop.of(method.label(), tc, policy).settings(cfg.toMap())
                .record("pairs", train.size()).record("eval_pairs", eval.size())
                .refuse(Map.of("eval_batches", "every held-out pair is scored"))
                .progress("loss", "rewards/margins").chart("loss", "rewards/margins", "rewards/accuracies");
        if (!eval.isEmpty()) {
            loop.evaluation(() -> evaluate(policy, method, eval, heldOutRef, cfg.referenceBatchSize));
        }
        int k = tc.gradAccumulation();
        return loop.run((s, step) -> s.update((micro, m) ->
                loss(policy, method, train, ref, pairIndices(train.size(), cfg.batchSize, tc.seed(), step * k + micro), m)));
    }

    /**
     * The loss of the pairs at {@code rows}, with the policy's graph recorded when grad mode is on
     * ({@code ref} may be null for ORPO, SimPO and CPO). One training step is this, backward, clipping and AdamW.
     */
    public static LossOutput loss(PeftModel policy, PreferenceMethod method, List<PreferencePair> pairs, ReferenceLogProbs ref,
            int[] rows, NDManager m) {
        LlamaModel model = policy.model();
        int b = rows.length;
        SequenceLogProbs lp = SequenceLogProbs.compute(model, PreferencePair.chosenThenRejected(pairs, rows), m);
        DataType dtype = lp.sum().getDataType();
        if (method instanceof OrpoLoss orpo) {
            return orpo.compute(lp.rows(0, b), lp.rows(b, 2 * b));
        }
        if (method instanceof SimpoLoss simpo) {
            return simpo.compute(lp.rows(0, b), lp.rows(b, 2 * b));
        }
        if (method instanceof CpoLoss cpo) {
            return cpo.compute(lp.rows(0, b), lp.rows(b, 2 * b));
        }
        if (method instanceof DpoLoss dpo) {
            NDArray policyLogps = dpo.usesMeanLogProbs() ? lp.mean() : lp.sum();
            NDArray refChosen = values(m, ReferenceLogProbs.pick(dpo.usesMeanLogProbs() ? ref.chosenMean() : ref.chosenSum(), rows), dtype);
            NDArray refRejected = values(m, ReferenceLogProbs.pick(dpo.usesMeanLogProbs() ? ref.rejectedMean() : ref.rejectedSum(), rows), dtype);
            return dpo.compute(policyLogps.get("0:" + b), policyLogps.get(b + ":"), refChosen, refRejected);
        }
        KtoLoss kto = (KtoLoss) method;
        // The pairs unpaired (TRL's unpair_preference_dataset): chosen completions desirable, rejected ones not.
        boolean[] desirable = new boolean[2 * b];
        Arrays.fill(desirable, 0, b, true);
        float[] reference = concat(ReferenceLogProbs.pick(ref.chosenSum(), rows), ReferenceLogProbs.pick(ref.rejectedSum(), rows));
        float[] referenceKl = concat(ReferenceLogProbs.pick(ref.klChosen(), rows), ReferenceLogProbs.pick(ref.klRejected(), rows));
        // Each prompt with another pair's completions, for the KL estimate.
        List<PreferencePair> klPairs = new ArrayList<>();
        for (int r : rows) {
            PreferencePair other = ReferenceLogProbs.mismatched(pairs, r);
            klPairs.add(new PreferencePair(pairs.get(r).prompt(), other.chosen(), other.rejected()));
        }
        CompletionBatch klBatch = PreferencePair.chosenThenRejected(klPairs, java.util.stream.IntStream.range(0, b).toArray());
        // TRL computes the policy's KL log-probabilities without gradient: z0 is a detached reference point.
        SequenceLogProbs policyKl = Autograd.noGrad(() -> SequenceLogProbs.compute(model, klBatch, m));
        return kto.compute(lp.sum(), values(m, reference, dtype), desirable, policyKl.sum(), values(m, referenceKl, dtype));
    }

    /** Held-out loss and metrics averaged over the pairs, without gradient or dropout (the loop's evaluation). */
    static Map<String, Double> evaluate(PeftModel policy, PreferenceMethod method, List<PreferencePair> pairs,
            ReferenceLogProbs ref, int batchSize) {
        return meanOver(pairs.size(), batchSize, policy.model(), (rows, m) -> loss(policy, method, pairs, ref, rows, m));
    }

    /**
     * The loss and metrics of {@code n} rows taken {@code batchSize} at a time, each batch's means
     * weighted by its size: the mean over all rows. Runs without gradient, one scope per batch.
     */
    static Map<String, Double> meanOver(int n, int batchSize, LlamaModel model,
            java.util.function.BiFunction<int[], NDManager, LossOutput> loss) {
        Map<String, Double> total = new LinkedHashMap<>();
        for (int from = 0; from < n; from += batchSize) {
            int[] rows = IntStream.range(from, Math.min(from + batchSize, n)).toArray();
            Map<String, Double> batch = Autograd.noGrad(() -> {
                try (NDManager m = model.manager().newSubManager()) {
                    return withLoss(loss.apply(rows, m));
                }
            });
            batch.forEach((k, v) -> total.merge(k, v * rows.length, Double::sum));
        }
        total.replaceAll((k, v) -> v / n);
        return total;
    }

    /**
     * Which pairs make up step {@code step}'s batch: positions step * batch ... of an endless stream
     * of epochs, each a Fisher-Yates shuffle seeded by (seed, epoch), so a resumed run sees the same batches.
     */
    static int[] pairIndices(int n, int batchSize, long seed, int step) {
        int[] rows = new int[batchSize];
        int[] order = null;
        long orderEpoch = -1;
        for (int i = 0; i < batchSize; i++) {
            long position = (long) step * batchSize + i;
            long epoch = position / n;
            if (epoch != orderEpoch) {
                order = shuffled(n, seed, epoch);
                orderEpoch = epoch;
            }
            rows[i] = order[(int) (position % n)];
        }
        return rows;
    }

    private static int[] shuffled(int n, long seed, long epoch) {
        int[] order = IntStream.range(0, n).toArray();
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static Map<String, Double> withLoss(LossOutput out) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", (double) out.loss().getFloat());
        m.putAll(out.metrics());
        return m;
    }

    private static NDArray values(NDManager m, float[] v, DataType dtype) {
        return m.create(v).toType(dtype, false);
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

}
