package dev.tunelab.distill;

import dev.tunelab.eval.Rouge;
import java.util.ArrayList;
import java.util.List;

/**
 * Self-Instruct's novelty filter (Wang et al. 2023, section 2.3): a new instruction enters the
 * pool only when its ROUGE-L F-measure with every instruction already in the pool is below
 * {@code threshold} (0.7 in the paper). The pool starts with the seed instructions. Compares the
 * candidate's completion (the generated instruction), tokenized as rouge-score does, no stemming.
 */
public final class RougeNovelty implements Filter {
    public static final double SELF_INSTRUCT_THRESHOLD = 0.7;

    private final double threshold;
    private final List<List<String>> pool = new ArrayList<>();

    public RougeNovelty(double threshold, List<String> seeds) {
        if (threshold <= 0 || threshold > 1) throw new IllegalArgumentException("threshold must be in (0, 1], got " + threshold);
        this.threshold = threshold;
        seeds.forEach(this::add);
    }

    @Override
    public String name() {
        return "novel (ROUGE-L < " + threshold + ")";
    }

    @Override
    public boolean passes(Candidate c) {
        return maxRougeL(c.completion()) < threshold;
    }

    /** The highest ROUGE-L F-measure of {@code text} against the pool (0 for an empty pool). */
    public double maxRougeL(String text) {
        List<String> tokens = Rouge.tokenize(text, false);
        double best = 0;
        for (List<String> other : pool) best = Math.max(best, Rouge.rougeL(other, tokens).fmeasure());
        return best;
    }

    @Override
    public void kept(Candidate c) {
        add(c.completion());
    }

    /** The pool's size: seeds plus kept instructions. */
    public int poolSize() {
        return pool.size();
    }

    private void add(String text) {
        pool.add(Rouge.tokenize(text, false));
    }
}
