package dev.tunelab.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** n-gram counting shared by BLEU, ROUGE and distinct-n. An n-gram is a list of tokens. */
final class NGrams {
    private NGrams() {}

    /** Counts of every n-gram with {@code minOrder <= n <= maxOrder}. */
    static Map<List<String>, Integer> counts(List<String> tokens, int minOrder, int maxOrder) {
        Map<List<String>, Integer> counts = new HashMap<>();
        for (int n = minOrder; n <= maxOrder; n++) {
            for (int i = 0; i + n <= tokens.size(); i++) {
                counts.merge(List.copyOf(tokens.subList(i, i + n)), 1, Integer::sum);
            }
        }
        return counts;
    }

    static Map<List<String>, Integer> counts(List<String> tokens, int n) {
        return counts(tokens, n, n);
    }
}
