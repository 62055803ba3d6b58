package dev.tunelab.eval;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * How varied a set of generations is. distinct-n (Li et al. 2016, "A Diversity-Promoting
 * Objective Function for Neural Conversation Models"): distinct n-grams over all n-grams, pooled
 * over the set. Self-BLEU (Zhu et al. 2018, Texygen): each text scored by BLEU against all the
 * others as references, averaged; 100 means every text repeats the others, lower is more diverse.
 * Texygen used NLTK's BLEU; here it is sacreBLEU's sentence BLEU ({@link Bleu#sentence}), so
 * values are on 0..100 and follow 13a tokenization.
 */
public final class Diversity {
    private Diversity() {}

    /** distinct-n with whitespace tokens. */
    public static double distinctN(List<String> texts, int n) {
        return distinctN(texts, n, Text::split);
    }

    /** distinct-n with the given tokenizer; 0 when the texts hold no n-gram at all. */
    public static double distinctN(List<String> texts, int n, Function<String, List<String>> tokenizer) {
        if (n < 1) {
            throw new IllegalArgumentException("distinct-n needs n >= 1, got " + n);
        }
        Set<List<String>> distinct = new HashSet<>();
        long total = 0;
        for (String text : texts) {
            List<String> tokens = tokenizer.apply(text);
            for (int i = 0; i + n <= tokens.size(); i++) {
                distinct.add(List.copyOf(tokens.subList(i, i + n)));
                total++;
            }
        }
        return total == 0 ? 0 : (double) distinct.size() / total;
    }

    /** Mean sentence BLEU of each text against all the other texts. */
    public static double selfBleu(List<String> texts) {
        if (texts.size() < 2) {
            throw new IllegalArgumentException("self-BLEU needs at least 2 texts, got " + texts.size());
        }
        double sum = 0;
        for (int i = 0; i < texts.size(); i++) {
            List<String> others = new ArrayList<>(texts);
            String hypothesis = others.remove(i);
            sum += Bleu.sentence(hypothesis, others).score();
        }
        return sum / texts.size();
    }
}
