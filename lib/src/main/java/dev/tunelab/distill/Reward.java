package dev.tunelab.distill;

/**
 * A score of a candidate, higher is better: a judge, a reward model, a heuristic. Used to filter
 * ({@link Filter#atLeast}) and to pick the best of k samples ({@link SyntheticData.Builder#bestOf}).
 */
@FunctionalInterface
public interface Reward {
    double score(Candidate candidate);
}
