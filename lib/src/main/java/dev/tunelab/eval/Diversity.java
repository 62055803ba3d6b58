package dev.tunelab.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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

    /**
     * Mean sentence BLEU of each text against all the other texts. Each text is tokenized once; for
     * every n-gram the two largest counts over the texts are kept, so "the largest count in any
     * other text" costs one lookup and the whole score is linear in the number of texts.
     */
    public static double selfBleu(List<String> texts) {
        if (texts.size() < 2) {
            throw new IllegalArgumentException("self-BLEU needs at least 2 texts, got " + texts.size());
        }
        Bleu bleu = Bleu.sentenceDefaults();
        List<List<String>> tokens = new ArrayList<>();
        List<Map<List<String>, Integer>> counts = new ArrayList<>();
        Map<List<String>, TopTwo> top = new HashMap<>();
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new IllegalArgumentException("text " + i + " is null");
            }
            List<String> t = bleu.tokens(texts.get(i));
            tokens.add(t);
            Map<List<String>, Integer> c = NGrams.counts(t, 1, bleu.maxOrder());
            counts.add(c);
            int text = i;
            c.forEach((gram, count) -> top.computeIfAbsent(gram, g -> new TopTwo()).offer(text, count));
        }
        double sum = 0;
        for (int i = 0; i < texts.size(); i++) {
            int self = i;
            int[] otherLengths = new int[texts.size() - 1];
            for (int j = 0, k = 0; j < texts.size(); j++) {
                if (j != i) {
                    otherLengths[k++] = tokens.get(j).size();
                }
            }
            Bleu.Statistics s = Bleu.statistics(tokens.get(i), gram -> top.get(gram).largestExcept(self), otherLengths,
                    bleu.maxOrder());
            sum += bleu.score(s).score();
        }
        return sum / texts.size();
    }

    /** The two largest counts of one n-gram over the texts, and which text holds the largest. */
    private static final class TopTwo {
        int firstText = -1;
        int first;
        int second;

        void offer(int text, int count) {
            if (count > first) {
                second = first;
                first = count;
                firstText = text;
            } else if (count > second) {
                second = count;
            }
        }

        Integer largestExcept(int text) {
            int v = text == firstText ? second : first;
            return v == 0 ? null : v;
        }
    }
}
