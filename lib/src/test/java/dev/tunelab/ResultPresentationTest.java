package dev.tunelab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.align.BestOfN;
import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import dev.tunelab.display.Tables;
import dev.tunelab.distill.SelfImprovement;
import dev.tunelab.distill.SelfInstruct;
import dev.tunelab.eval.BleuScore;
import dev.tunelab.eval.KlResult;
import dev.tunelab.eval.SentimentJudge;
import dev.tunelab.eval.WinRateResult;
import dev.tunelab.peft.ParameterCounts;
import dev.tunelab.peft.WeightMemory;
import dev.tunelab.train.PerplexityResult;
import dev.tunelab.train.TrainResult;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;

/**
 * Results show themselves by the presentation standard: numbers through {@code Numbers} (no
 * run-to-run noise such as {@code 22.960234567}), tables through {@code Tables}, charts through
 * {@code Charts}, and a {@code toString()} that is one readable line. The values fed in here carry
 * many digits on purpose.
 */
class ResultPresentationTest {
    /** Seven or more decimals: more than any value Numbers writes at 0.001 or above. */
    static final Pattern NOISY = Pattern.compile("\\d+\\.\\d{7,}");
    /** A printed decimal number, possibly grouped (1,234.5) or scientific (1.5e-05). */
    static final Pattern DECIMAL = Pattern.compile("(?<![\\w.])(?:\\d{1,3}(?:,\\d{3})+|\\d+)\\.\\d+(?:e[-+]?\\d+)?");
    static final Pattern DATA_URI = Pattern.compile("data:[\\w/+.-]+;base64,[A-Za-z0-9+/=]+");

    /** No shown number has noise: neither seven decimals nor more than six significant digits. */
    static void assertNoNoise(String what, String shown) {
        String text = DATA_URI.matcher(shown).replaceAll("");
        assertFalse(NOISY.matcher(text).find(), what + ": " + text);
        Matcher m = DECIMAL.matcher(text);
        while (m.find()) {
            String digits = m.group().replaceFirst("e.*", "").replaceAll("[^0-9]", "").replaceFirst("^0+", "");
            assertTrue(digits.length() <= 6, what + ": " + m.group() + " in " + text);
        }
    }

    /** The bundle's HTML is a Tables table, no number in it or in the text is noisy, toString is one line. */
    static Map<String, String> assertPresented(Renderable result) {
        Map<String, String> bundle = result.mimeBundle();
        assertTrue(bundle.get(MimeBundles.HTML).contains("<table class=\"tunelab-table\">"), bundle.get(MimeBundles.HTML));
        bundle.forEach((type, shown) -> {
            if (!type.equals(MimeBundles.PNG)) assertNoNoise(type, shown);
        });
        assertNoNoise("toString", result.toString());
        assertFalse(result.toString().contains("\n"), result.toString());
        return bundle;
    }

    @Test void perplexity() {
        var r = new PerplexityResult(Math.log(22.960234567), 22.960234567, 12_345);
        assertEquals("perplexity 22.96 (mean NLL 3.134 nats/token over 12,345 tokens)", r.toString());
        String html = assertPresented(r).get(MimeBundles.HTML);
        assertTrue(html.contains("<th>mean NLL (nats/token)</th>") && html.contains("<td>22.96</td>")
                && html.contains("<td>3.134</td>") && html.contains("<td>12,345</td>"), html);
    }

    @Test void klDivergence() {
        var r = new KlResult(0.0028271234567, 0.0123456789, 1_234_567);
        assertEquals("KL 0.002827 nats/token (max 0.01235) over 1,234,567 positions", r.toString());
        String html = assertPresented(r).get(MimeBundles.HTML);
        assertTrue(html.contains("<th>mean KL (nats/token)</th>") && html.contains("<td>0.002827</td>")
                && html.contains("<td>1,234,567</td>"), html);
    }

    @Test void winRate() {
        var r = new WinRateResult(1200, 500, 100, 1250 / 1800.0, 0.6712345678, 0.7198765432, 0.95, 10_000, 7);
        assertEquals("win rate 0.6944 [0.6712, 0.7199] (95% bootstrap CI, 10,000 resamples, seed 7): "
                + "1,200 wins, 500 losses, 100 ties", r.toString());
        String html = assertPresented(r).get(MimeBundles.HTML);
        assertTrue(html.contains("<th>95% CI low</th>") && html.contains("<td>0.6944</td>") && html.contains("<td>1,200</td>"), html);
    }

    @Test void bleuKeepsSacreBleusLineAndShowsATable() {
        var r = new BleuScore(48.530123456, new long[] {14, 8, 5, 3}, new long[] {17, 16, 15, 14},
                new double[] {82.35294117647058, 50.0, 45.45454545454545, 37.5}, 0.9428731438548749, 17, 18);
        assertEquals("BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)", r.toString());
        String html = assertPresented(r).get(MimeBundles.HTML);
        assertTrue(html.contains("<th>1-gram precision (%)</th>") && html.contains("<td>82.35</td>")
                && html.contains("<td>0.9429</td>"), html);
    }

    @Test void sentimentVerdict() {
        var hit = new SentimentJudge.Hit("good", 3, false, 2.3333333333);
        var v = new SentimentJudge.Verdict(2.3333333333, 1_234, List.of(hit));
        assertEquals("sentiment 2.333 (1 terms, 1,234 words)", v.toString());
        assertEquals("sentiment 2.333 over 1,234 words", v.table().name());
        assertPresented(v);
    }

    @Test void parameterCountsKeepPeftsLineAndShowATable() {
        var c = new ParameterCounts(65_536, 1_300_000);
        assertEquals("trainable params: 65,536 || all params: 1,300,000 || trainable%: 5.0412", c.toString());
        String html = assertPresented(c).get(MimeBundles.HTML);
        assertTrue(html.contains("<td>65,536</td>") && html.contains("<td>5.041</td>"), html);
    }

    @Test void weightMemory() {
        var m = WeightMemory.of(64 * 64, 128 * 64);
        assertTrue(m.toString().startsWith("12,288 parameters: fp32 49,152 bytes (32 bits/param), bf16 24,576 bytes (16 bits/param), "),
                m.toString());
        assertTrue(m.toString().contains(", nf4+dq "), m.toString());
        String html = assertPresented(m).get(MimeBundles.HTML);
        assertTrue(html.contains("<caption>weight memory of 12,288 parameters</caption>") && html.contains("<td>49,152</td>"), html);
    }

    @Test void selfImprovementChartsTheMetricAndTheLossOnTwoAxes() {
        var round1 = new TrainResult("sft", null, 0, 2, Map.of(), Map.of("loss", 2.123456789), 2.123456789, 2, Map.of(), List.of());
        var round2 = new TrainResult("sft", null, 2, 4, Map.of(), Map.of("loss", 1.987654321), 1.987654321, 4, Map.of(), List.of());
        var result = new SelfImprovement.Result(List.of(new SelfImprovement.Round(0, 0, 0, 1 / 3.0, null),
                new SelfImprovement.Round(1, 6, 4, 0.5, round1), new SelfImprovement.Round(2, 6, 5, 2 / 3.0, round2)));
        assertEquals("self-improvement: metric 0.3333 before, 0.6667 after 2 rounds", result.toString());
        Map<String, String> bundle = assertPresented(result);
        // a notebook shows the HTML: the chart is in it
        assertTrue(bundle.get(MimeBundles.HTML).contains("<img src=\"data:image/png;base64,"), "chart in the HTML");
        XYChart chart = result.chart();
        assertEquals("Metric and held-out loss per self-improvement round", chart.getTitle());
        assertEquals(List.of("metric", "held-out loss (right axis)"), List.copyOf(chart.getSeriesMap().keySet()));
        assertEquals(1, chart.getSeriesMap().get("held-out loss (right axis)").getYAxisGroup());
        assertEquals(2, chart.getSeriesMap().get("held-out loss (right axis)").getXData().length, "round 0 has no fine-tuning");

        var untrained = new SelfImprovement.Result(List.of(new SelfImprovement.Round(0, 0, 0, 0.25, null),
                new SelfImprovement.Round(1, 6, 0, 0.25, null)));
        assertEquals("Metric per self-improvement round", untrained.chart().getTitle());
        assertEquals(List.of("metric"), List.copyOf(untrained.chart().getSeriesMap().keySet()));
    }

    @Test void bestOfNChoicesAsATableAndALine() {
        var choice = new BestOfN.Choice("Tell me a story.", "Once upon a time\nthere was a cat.", 0.91234567,
                List.of("a", "Once upon a time\nthere was a cat.", "c", "d"), new double[] {0.1, 0.91234567, 0.2, 0.3});
        assertEquals("best of 4 (score 0.9123, mean 0.3781): \"Once upon a time there was a cat.\"", choice.toString());
        var table = BestOfN.table(List.of(choice));
        assertEquals("best-of-4: the highest-scoring of 4 samples per prompt", table.name());
        Map<String, String> bundle = Tables.mimeBundle(table);
        assertTrue(bundle.get(MimeBundles.HTML).contains("<td>0.9123</td>") && bundle.get(MimeBundles.HTML).contains("<td>0.3781</td>"),
                bundle.get(MimeBundles.HTML));
        bundle.forEach(ResultPresentationTest::assertNoNoise);
    }

    @Test void selfInstructProposals() {
        var result = new SelfInstruct.Result(List.of("seed"), List.of("write a poem"),
                List.of(new SelfInstruct.Proposal("write a poem", 0.123456789, null),
                        new SelfInstruct.Proposal("write a poem please", 0.987654321, "too similar (ROUGE-L >= 0.7)")));
        String html = result.mimeBundle().get(MimeBundles.HTML);
        assertTrue(html.contains("<td>0.1235</td>") && html.contains("<td>0.9877</td>"), html);
        result.mimeBundle().forEach(ResultPresentationTest::assertNoNoise);
    }
}
