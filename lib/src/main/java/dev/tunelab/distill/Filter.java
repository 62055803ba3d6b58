package dev.tunelab.distill;

import dev.tunelab.eval.RewardFunction;
/**
 * One stage of a synthetic-data filter chain, applied to every task's candidates (a task's own
 * verifiable checks come first, see {@link SyntheticData}). A filter may remember what was kept
 * before: de-duplication ({@link NgramDedup}) and novelty ({@link RougeNovelty}) compare a
 * candidate with the pool, so the pool learns of every kept candidate through {@link #kept}.
 */
public interface Filter {
    /** The name rejections and the acceptance table are counted under. */
    String name();

    /** Whether {@code candidate} passes, given what was kept so far. */
    boolean passes(Candidate candidate);

    /** Called once for each candidate that ends up in the data set; stateless filters ignore it. */
    default void kept(Candidate candidate) {}

    /** A stateless filter from a check on every task's candidates (a length limit, a format rule). */
    static Filter of(Check check) {
        return new Filter() {
            @Override
            public String name() {
                return check.toString();
            }

            @Override
            public boolean passes(Candidate c) {
                return check.passes(c);
            }
        };
    }

    /**
     * A judge or reward model as a filter: keeps a candidate whose {@code reward} is at least
     * {@code min} (e.g. a sentiment judge, a classifier's probability, a teacher's log-likelihood).
     */
    static Filter atLeast(String name, RewardFunction reward, double min) {
        return new Filter() {
            @Override
            public String name() {
                return name + " >= " + min;
            }

            @Override
            public boolean passes(Candidate c) {
                return reward.score(c.prompt(), c.completion()) >= min;
            }
        };
    }
}
