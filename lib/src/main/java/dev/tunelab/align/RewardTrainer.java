package dev.tunelab.align;

import dev.tunelab.train.TrainConfig;
import dev.tunelab.train.TrainResult;
import dev.tunelab.train.TrainingLoop;
import java.util.List;
import java.util.Map;

/**
 * Trains a {@link RewardModel}'s adapters and score head on preference pairs with the
 * Bradley-Terry loss (TRL's RewardTrainer), on {@link TrainingLoop}: each micro-batch is
 * {@code batchSize} pairs from an order shuffled per epoch; held-out: the loss, the pairwise
 * accuracy and the mean margin over all held-out pairs.
 */
public final class RewardTrainer {
    private RewardTrainer() {}

    public static TrainResult fit(RewardModel rm, List<PreferencePair> train, List<PreferencePair> eval, RewardConfig cfg) {
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no preference pairs to train the reward model on");
        }
        TrainConfig tc = cfg.train;
        TrainingLoop loop = TrainingLoop.of("reward-model", tc, rm.peft()).parameters("score.", rm.head().parameters())
                .settings(cfg.toMap()).record("pairs", train.size()).record("eval_pairs", eval.size())
                .refuse(Map.of("eval_batches", "every held-out pair is scored"))
                .progress("loss", "accuracy").chart("loss", "accuracy");
        if (!eval.isEmpty()) {
            loop.evaluation(() -> heldOut(rm, eval, cfg.batchSize));
        }
        int k = tc.gradAccumulation();
        return loop.run((s, step) -> s.update((micro, m) ->
                rm.loss(train, PreferenceTrainer.pairIndices(train.size(), cfg.batchSize, tc.seed(), step * k + micro), m)));
    }

    /** Loss, accuracy and margin over all the pairs. */
    static Map<String, Double> heldOut(RewardModel rm, List<PreferencePair> pairs, int batchSize) {
        return PreferenceTrainer.meanOver(pairs.size(), batchSize, rm.peft().model(), (rows, m) -> rm.loss(pairs, rows, m));
    }
}
