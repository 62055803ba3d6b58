package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Expected values come from rouge-score's test suite (github.com/google-research/google-research,
 * rouge/rouge_scorer_test.py), whose "ground truth" the authors took from runs of ROUGE-1.5.5.
 */
class RougeTest {
    // rouge/testdata/target.txt and prediction.txt, lines 1 and 2 (random letter strings; the -ing, -tion,
    // -er endings exercise the stemmer).
    static final String TARGET_0 = "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing "
            + "Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n";
    static final String TARGET_1 = "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing "
            + "sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing "
            + "UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n";
    static final String PREDICTION_0 = "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n";
    static final String PREDICTION_1 = "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed "
            + "HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n";

    static void assertScore(double recall, double precision, double f, RougeScore s) {
        assertEquals(recall, s.recall(), 1e-5);
        assertEquals(precision, s.precision(), 1e-5);
        assertEquals(f, s.fmeasure(), 1e-5);
    }

    @Test
    void simpleCasesFromTheTestSuite() {
        assertScore(1 / 3.0, 1, 1 / 2.0, Rouge.rouge1("testing one two", "testing", false)); // testRouge1
        assertScore(1 / 2.0, 1, 2 / 3.0, Rouge.rouge2("testing one two", "testing one", false)); // testRouge2
        assertScore(2 / 3.0, 1, 4 / 5.0, Rouge.rougeL("testing one two", "testing one", false)); // testRougeLConsecutive
        assertScore(2 / 3.0, 1, 4 / 5.0, Rouge.rougeL("testing one two", "testing two", false)); // testRougeLNonConsecutive
        for (RougeScore empty : List.of(Rouge.rouge1("testing one two", "", false), Rouge.rouge2("testing one two", "", false),
                Rouge.rougeL("testing one two", "", false))) {
            assertScore(0, 0, 0, empty); // testRougeEmpty
        }
    }

    @Test
    void againstRouge155WithoutStemming() {
        // testRouge1AgainstRouge155
        assertScore(0.40741, 0.68750, 0.51163, Rouge.rouge1(TARGET_0, PREDICTION_0, false));
        assertScore(0.40476, 0.65385, 0.50000, Rouge.rouge1(TARGET_1, PREDICTION_1, false));
        // testRouge2AgainstRouge155
        assertScore(0.30769, 0.53333, 0.39024, Rouge.rouge2(TARGET_0, PREDICTION_0, false));
        assertScore(0.29268, 0.48000, 0.36364, Rouge.rouge2(TARGET_1, PREDICTION_1, false));
        // testRougeLAgainstRouge155
        assertScore(0.40741, 0.68750, 0.51163, Rouge.rougeL(TARGET_0, PREDICTION_0, false));
        assertScore(0.40476, 0.65385, 0.50000, Rouge.rougeL(TARGET_1, PREDICTION_1, false));
    }

    @Test
    void againstRouge155WithStemming() {
        // testRouge1AgainstRouge155WithStemming: stemming changes the second pair only.
        assertScore(0.40741, 0.68750, 0.51163, Rouge.rouge1(TARGET_0, PREDICTION_0, true));
        assertScore(0.42857, 0.69231, 0.52941, Rouge.rouge1(TARGET_1, PREDICTION_1, true));
        // testRouge2AgainstRouge155WithStemming
        assertScore(0.30769, 0.53333, 0.39024, Rouge.rouge2(TARGET_0, PREDICTION_0, true));
        assertScore(0.29268, 0.48000, 0.36364, Rouge.rouge2(TARGET_1, PREDICTION_1, true));
    }

    @Test
    void rougeLsumFromTheTestSuite() {
        // testRougeLsum (the example of section 3.2 of Lin 2004): R = 0.8, P = 0.4, F = 0.5333.
        RougeScore s = Rouge.rougeLsum("w1 w2 w3 w4 w5", "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5", false);
        assertEquals(0.8, s.recall(), 1e-12);
        assertEquals(0.4, s.precision(), 1e-12);
        assertEquals(0.5333, s.fmeasure(), 1e-3);
        // Empty cases and a summary of only non-word characters: all 0.
        assertScore(0, 0, 0, Rouge.rougeLsum("w1 w2 w3 w4 w5", "", false));
        assertScore(0, 0, 0, Rouge.rougeLsum("", "w1", false));
        assertScore(0, 0, 0, Rouge.rougeLsum("w1 w2 w3 w4 w5", "/", false));
        // testRougeLSumAgainstRouge155WithStemming: testdata/pyrouge_files/target_multi.0.txt and prediction_multi.0.txt.
        String target = TARGET_0 + TARGET_1
                + "NhETebUbBk'er WOvoHMTjSRizKgH'vHiing Xu,hWxfs VkNE QhgKiLHE -HidivzoM.dO anhtion jbLQiSGDTCsuhREebUaKM dv J dVN tmbOT\n"
                + "vMR HDm,xOAetion D,tion HJtodT.mHl UIv-p VjWH'BdyWjnfGU-OjT aEMdFICyLWfQMtion wEMfdOKing AwkeKbO 'DxqNOHBH qKtVvm OYJl mM\n";
        String prediction = PREDICTION_0 + PREDICTION_1
                + "xfs VkJE QhgKiLHE -HidivzoM.dO anhing jbLQiSGDTCsuhREebUaKM dv J\n"
                + "VjWH'BdyWjnfGU-OjTNaEMdFICyLWfQMing wEMfdOKijg AwkeKbO 'DxqNO\n";
        assertScore(0.36538, 0.66667, 0.47205, Rouge.rougeLsum(target, prediction, true));
        // testLcsTable: LCS of [1,2,3,4,5] and [2,5,3,4] is at indices [1, 2, 3] of the first.
        assertEquals(List.of(1, 2, 3), Rouge.lcsIndices(List.of("1", "2", "3", "4", "5"), List.of("2", "5", "3", "4")));
        assertEquals(List.of(), Rouge.lcsIndices(List.of("1", "2", "3", "4", "5"), List.of("8", "9")));
    }

    @Test
    void tokenizerLowercasesAndDropsPunctuation() {
        // tokenize.py: lower-case, non-[a-z0-9] runs become spaces; stems only tokens longer than 3.
        assertEquals(List.of("it", "s", "a", "dog", "s", "life", "3", "cats"), Rouge.tokenize("It's a DOG'S life: 3 cats!", false));
        assertEquals(List.of("the", "cat", "ran", "run", "dog"), Rouge.tokenize("The cats ran running dogs", true));
        // "was" has 3 characters, so it is not stemmed (the stemmer alone would give "wa").
        assertEquals("wa", PorterStemmer.stem("was"));
        assertEquals(List.of("was", "cat"), Rouge.tokenize("was cats", true));
        assertThrows(IllegalArgumentException.class, () -> Rouge.rougeN(0, "a", "a", false));
    }
}
