package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.eval.Bleu.Smoothing;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Expected values are sacreBLEU's own, from its test suite (github.com/mjpost/sacrebleu,
 * test/test_bleu.py and test/test_sentence_bleu.py). sacreBLEU passes references as streams
 * (refs[k][i] is the k-th reference of hypothesis i); {@link #perHypothesis} turns them around.
 */
class BleuTest {
    // test_bleu.py: the README example.
    static final List<String> HYPS = List.of("The dog bit the man.", "It wasn't surprising.", "The man had just bitten him.");
    static final List<List<String>> REF_STREAMS = List.of(
            List.of("The dog bit the man.", "It was not unexpected.", "The man bit him first."),
            List.of("The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."));

    static List<List<String>> perHypothesis(List<List<String>> streams) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < streams.get(0).size(); i++) {
            List<String> refs = new ArrayList<>();
            for (List<String> stream : streams) {
                refs.add(stream.get(i));
            }
            out.add(refs);
        }
        return out;
    }

    /** sacrebleu.raw_corpus_bleu: floor smoothing, no tokenization, effective order. */
    static double raw(List<String> hyps, List<String> refs, double floor) {
        return Bleu.corpusDefaults().smoothing(Smoothing.FLOOR, floor).tokenize(false).effectiveOrder(true)
                .corpusScore(hyps, refs.stream().map(List::of).toList()).score() / 100;
    }

    @Test
    void corpusBleuMatchesSacrebleuDefaults() {
        List<List<String>> refs = perHypothesis(REF_STREAMS);
        // test_bleu.py test_corpus_bleu_cases: default settings (13a, exp) give 48.530827.
        BleuScore s = Bleu.corpus(HYPS, refs);
        assertEquals(48.530827, s.score(), 1e-6);
        assertTrue(s.toString().startsWith("BLEU = 48.53 "), s.toString());
        // tokenize='none' gives 49.1919566; smooth_method='none' gives 48.530827.
        assertEquals(49.1919566, Bleu.corpusDefaults().tokenize(false).corpusScore(HYPS, refs).score(), 1e-6);
        assertEquals(48.530827, Bleu.corpusDefaults().smoothing(Smoothing.NONE).corpusScore(HYPS, refs).score(), 1e-6);
        // Empty hypotheses are scored, not removed: 0.0.
        assertEquals(0.0, Bleu.corpus(List.of("", "", ""), refs).score(), 0);
    }

    @Test
    void maxOrderChangesTheNGramsCounted() {
        // test_bleu.py test_bleu_max_order: BLEU(max_ngram_order=n) on the README example, to 2 decimals.
        String[] expected = {"77.65", "60.50", "53.93", "48.53", "46.14", "43.28"};
        for (int n = 1; n <= 6; n++) {
            BleuScore s = Bleu.corpusDefaults().maxOrder(n).corpusScore(HYPS, perHypothesis(REF_STREAMS));
            assertEquals(expected[n - 1], String.format(java.util.Locale.ROOT, "%.2f", s.score()), "max order " + n);
            assertEquals(n, s.precisions().length);
        }
        assertThrows(IllegalArgumentException.class, () -> Bleu.corpusDefaults().maxOrder(0));
    }

    @Test
    void rawCorpusBleuCases() {
        // test_bleu.py test_raw_bleu_cases (no match at all is 0 since sacreBLEU #141).
        assertEquals(0.0, raw(List.of("this is a test", "another test"), List.of("ref1", "ref2"), .01), 1e-8);
        assertEquals(1.0, raw(List.of("this is a test"), List.of("this is a test"), .01), 1e-8);
        assertEquals(0.223606797749979, raw(List.of("this is a fest"), List.of("this is a test"), .01), 1e-8);
        // test_case_effective_order.
        assertEquals(0.3678794411714425, raw(List.of("test"), List.of("a test"), .01), 1e-8);
        assertEquals(1.0, raw(List.of("a test"), List.of("a test"), .01), 1e-8);
        assertEquals(0.03218297948685433, raw(List.of("a little test"), List.of("a test"), .01), 1e-8);
        // test_case_offset: floor 0 gives 0; the default floor of 0.1 gives 0.1555722182.
        List<String> hyp = List.of("am I am a character sequence");
        List<String> ref = List.of("I am a symbol string sequence a a");
        assertEquals(0.0, raw(hyp, ref, 0.0), 1e-8);
        assertEquals(0.1555722182, raw(hyp, ref, 0.1), 1e-8);
    }

    @Test
    void statisticsAndScoringFromSufficientStatistics() {
        // test_case_statistics: counts [4, 2, 1, 0], totals [6, 5, 4, 3].
        BleuScore s = Bleu.corpusDefaults().tokenize(false).smoothing(Smoothing.FLOOR, .01).effectiveOrder(true)
                .corpusScore(List.of("am I am a character sequence"), List.of(List.of("I am a symbol string sequence a a")));
        assertArrayEquals(new long[] {4, 2, 1, 0}, s.counts());
        assertArrayEquals(new long[] {6, 5, 4, 3}, s.totals());
        // test_case_scoring: compute_bleu([9,7,5,3], [10,8,6,4], 11, 11) with no smoothing = 0.8375922397.
        assertEquals(0.8375922397, score(new long[] {9, 7, 5, 3}, new long[] {10, 8, 6, 4}, 11, 11, Smoothing.NONE, 0) / 100, 1e-8);
        // test_case_degenerate_stats with floor smoothing: all 0.0.
        assertEquals(0.0, score(new long[] {0, 0, 0, 0}, new long[] {4, 4, 2, 1}, 0, 1, Smoothing.FLOOR, 0), 0);
        assertEquals(0.0, score(new long[] {0, 0, 0, 0}, new long[] {10, 11, 12, 0}, 14, 10, Smoothing.FLOOR, 0), 0);
        assertEquals(0.0, score(new long[] {0, 0, 0, 0}, new long[] {0, 0, 0, 0}, 0, 0, Smoothing.FLOOR, 0), 0);
        assertEquals(0.0, score(new long[] {6, 5, 4, 0}, new long[] {6, 5, 4, 3}, 6, 6, Smoothing.FLOOR, 0), 0);
        assertEquals(0.0, score(new long[] {0, 0, 0, 0}, new long[] {0, 0, 0, 0}, 0, 0, Smoothing.FLOOR, 0.1), 0);
        assertEquals(0.0, score(new long[] {0, 0, 0, 0}, new long[] {0, 0, 0, 0}, 1, 5, Smoothing.FLOOR, 0.01), 0);
    }

    static double score(long[] correct, long[] totals, long hypLen, long refLen, Smoothing smoothing, double value) {
        Bleu.Statistics st = new Bleu.Statistics(4);
        System.arraycopy(correct, 0, st.correct, 0, 4);
        System.arraycopy(totals, 0, st.totals, 0, 4);
        st.hypLength = hypLen;
        st.refLength = refLen;
        return Bleu.corpusDefaults().smoothing(smoothing, value).score(st).score();
    }

    // test_sentence_bleu.py: the example of sacreBLEU issue #98, effective order on.
    static final String REF = "producţia de zahăr brut se exprimă în zahăr alb;";
    static final String SYS = "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;";

    static double sentence(Smoothing smoothing, double value, boolean tokenize) {
        return Bleu.sentenceDefaults().smoothing(smoothing, value).tokenize(tokenize).sentenceScore(SYS, List.of(REF)).score();
    }

    @Test
    void sentenceBleuMatchesSacrebleuForEverySmoothing() {
        assertEquals(8.493, Bleu.sentence(SYS, List.of(REF)).score(), 1e-3); // ('exp', None, False, '13a', 8.493)
        assertEquals(0.0, sentence(Smoothing.NONE, 0, true), 1e-3);
        assertEquals(4.51688, sentence(Smoothing.FLOOR, 0.1, true), 1e-3);
        assertEquals(10.10, sentence(Smoothing.FLOOR, 0.5, true), 1e-3);
        assertEquals(14.882, sentence(Smoothing.ADD_K, 1, true), 1e-3);
        assertEquals(21.389, sentence(Smoothing.ADD_K, 2, true), 1e-3);
        assertEquals(7.347, sentence(Smoothing.EXP, 0, false), 1e-3); // tokenize='none'
        // Defaults of the smoothing methods: floor 0.1, add-k 1.
        assertEquals(4.51688, Bleu.sentenceDefaults().smoothing(Smoothing.FLOOR).sentenceScore(SYS, List.of(REF)).score(), 1e-3);
        assertEquals(14.882, Bleu.sentenceDefaults().smoothing(Smoothing.ADD_K).sentenceScore(SYS, List.of(REF)).score(), 1e-3);
        // Example of issue #141: nothing matches, so 0 whatever the smoothing.
        for (Smoothing sm : Smoothing.values()) {
            assertEquals(0.0, Bleu.sentenceDefaults().smoothing(sm).sentenceScore("this is a cat", List.of("okay thanks")).score(), 0);
        }
    }

    @Test
    void tokenizer13aSplitsPunctuationButNotNumbers() {
        // mteval-v13a rules: symbols split; period and comma kept inside numbers; dash after a digit split.
        // The apostrophe (0x27) is outside 13a's symbol ranges, so it stays in the word.
        assertEquals("It wasn't surprising .", Tokenizer13a.tokenizeToString("It wasn't surprising."));
        assertEquals("It costs $ 3.50 , or 1,000 yen-5 % off", Tokenizer13a.tokenizeToString("It costs $3.50, or 1,000 yen-5% off"));
        assertEquals("a & b \" c \" < d >", Tokenizer13a.tokenizeToString("a &amp; b &quot;c&quot; &lt;d&gt;"));
        assertEquals("10 - 20 km", Tokenizer13a.tokenizeToString("10-20 km"));
        assertEquals("well-known", Tokenizer13a.tokenizeToString("well-known"));
    }

    @Test
    void badInputIsRejectedWithItsIndex() {
        var e = assertThrows(IllegalArgumentException.class, () -> Bleu.corpus(List.of("a", "b"), List.of(List.of("a"))));
        assertTrue(e.getMessage().contains("2 hypotheses but 1"), e.getMessage());
        var empty = assertThrows(IllegalArgumentException.class, () -> Bleu.corpus(List.of("a"), List.of(List.of())));
        assertTrue(empty.getMessage().contains("hypothesis 0 has no reference"), empty.getMessage());
    }
}
