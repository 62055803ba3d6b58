package dev.tunelab.display;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.display.Charts.Axis;
import dev.tunelab.display.Charts.Series;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.AxisPair;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

class ChartsTest {
    private static final List<Double> RANKS = List.of(1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0);
    private static final List<Double> LOSSES = List.of(1.61, 1.55, 1.52, 1.5, 1.49, 1.495, 1.5);

    /** The x tick labels XChart drew (after painting), those inside the axis; XChart keeps them internal. */
    private static List<String> xTickLabels(XYChart chart) throws Exception {
        Charts.png(chart);
        var field = Chart.class.getDeclaredField("axisPair");
        field.setAccessible(true);
        AxisPair<?, ?> axes = (AxisPair<?, ?>) field.get(chart);
        var ticks = axes.getXAxis().getAxisTickCalculator();
        double width = axes.getXAxis().getBounds().getWidth();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < ticks.getTickLabels().size(); i++) {
            double at = ticks.getTickLocations().get(i);
            String label = ticks.getTickLabels().get(i);
            if (at >= 0 && at <= width && label != null && !label.isBlank()) labels.add(label);
        }
        return labels;
    }

    /** Rows as a run logs them: step, loss every step, eval metrics every 10 steps. */
    private static List<Map<String, Object>> history() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int step = 1; step <= 40; step++) {
            Map<String, Object> row = new HashMap<>();
            row.put("step", step);
            row.put("loss", 0.7 - step / 100.0);
            if (step % 10 == 0) row.put("eval_accuracy", 0.5 + step / 100.0);
            rows.add(row);
        }
        return rows;
    }

    @Test void aChartHasTitleAxisTitlesAndALegendNamingEachSeries() {
        XYChart chart = Charts.lines("Held-out loss against LoRA rank", Axis.of("rank r"),
                Axis.of("held-out loss", "nats/token"),
                List.of(Series.of("alpha=2r", RANKS, LOSSES), Series.of("never logged", List.of(), List.of())));
        assertEquals("Held-out loss against LoRA rank", chart.getTitle());
        assertEquals("rank r", chart.getXAxisTitle());
        assertEquals("held-out loss (nats/token)", chart.getYAxisTitle());
        assertEquals(List.of("alpha=2r"), List.copyOf(chart.getSeriesMap().keySet()), "an empty series is left out");
        assertTrue(chart.getStyler().isLegendVisible());
        assertEquals(SeriesMarkers.CIRCLE, chart.getSeriesMap().get("alpha=2r").getMarker(), "few points get markers");
    }

    @Test void titlesMustSayWhatIsShown() {
        var runId = assertThrows(IllegalArgumentException.class, () -> Charts.lines("20261206-031001-reward-model-1d3e",
                Axis.of("step"), Axis.of("loss"), List.of(Series.of("loss", RANKS, LOSSES))));
        assertTrue(runId.getMessage().contains("run id"), runId.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Charts.lines(" ", Axis.of("step"), Axis.of("loss"), List.of()));
        assertThrows(IllegalArgumentException.class, () -> Axis.of(""));
        assertThrows(IllegalArgumentException.class, () -> Charts.lines("loss", Axis.of("step"), Axis.of("loss"),
                List.of(Series.of("a", RANKS, LOSSES), Series.of("a", RANKS, LOSSES))));
    }

    @Test void nonFinitePointsAreLeftOut() {
        Series s = Series.of("loss", new double[] {1, 2, 3}, new double[] {0.5, Double.NaN, 0.4});
        assertEquals(List.of(1.0, 3.0), s.xs());
        assertEquals(List.of(0.5, 0.4), s.ys());
    }

    @Test void byStepTitlesTheAxisWithWhatIsDrawn() {
        XYChart chart = Charts.byStep("Training loss", history(), List.of("loss", "eval_loss"));
        assertEquals("loss", chart.getYAxisTitle(), "eval_loss was never logged");
        assertEquals(List.of("loss"), List.copyOf(chart.getSeriesMap().keySet()));
        assertEquals(40, chart.getSeriesMap().get("loss").getXData().length);
        assertEquals(SeriesMarkers.NONE, chart.getSeriesMap().get("loss").getMarker(), "a long line has no markers");
    }

    @Test void twoQuantitiesGetTwoAxes() {
        XYChart chart = Charts.byStep("Reward model: loss and held-out accuracy", history(), List.of("loss"),
                List.of("eval_accuracy"));
        XYSeries accuracy = chart.getSeriesMap().get("eval_accuracy (right axis)");
        assertEquals(1, accuracy.getYAxisGroup());
        assertEquals(0, chart.getSeriesMap().get("loss").getYAxisGroup());
        assertEquals("loss", chart.getYAxisGroupTitle(0));
        assertEquals("eval_accuracy", chart.getYAxisGroupTitle(1));
        assertArrayEquals(new double[] {0.6, 0.7, 0.8, 0.9}, accuracy.getYData(), 1e-12);
        assertTrue(Charts.png(chart).length > 0, "renders");

        XYChart onlyLoss = Charts.byStep("Reward model loss", history(), List.of("loss"), List.of("eval_loss"));
        assertEquals("loss", onlyLoss.getYAxisTitle());
        assertEquals(List.of("loss"), List.copyOf(onlyLoss.getSeriesMap().keySet()), "no empty right axis");
    }

    @Test void pointsOnTwoAxes() {
        XYChart chart = Charts.points("Reward model score and gold reward against KL", Axis.of("KL to the reference", "nats"),
                Axis.of("reward-model score"), List.of(Series.of("PPO-RM", List.of(0.5, 2.0), List.of(1.2, 2.5))),
                Axis.of("gold reward"), List.of(Series.of("PPO-RM gold", List.of(0.5, 2.0), List.of(0.3, 0.1))));
        assertEquals(XYSeries.XYSeriesRenderStyle.Scatter, chart.getStyler().getDefaultSeriesRenderStyle());
        assertEquals(1, chart.getSeriesMap().get("PPO-RM gold (right axis)").getYAxisGroup());
        assertEquals("gold reward", chart.getYAxisGroupTitle(1));
    }

    @Test void ranksOnALogAxisAreLabelledAsPowersOfTwo() throws Exception {
        XYChart chart = Charts.lines("Held-out loss against LoRA rank", Axis.log("rank r"), Axis.of("loss"),
                List.of(Series.of("alpha=2r", RANKS, LOSSES)));
        assertEquals(List.of("1", "2", "4", "8", "16", "32", "64"), xTickLabels(chart));
        assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5, 6}, chart.getSeriesMap().get("alpha=2r").getXData(),
                "the chart holds log2 of the ranks");
    }

    @Test void countsOnALogAxisAreLabelledCompactly() throws Exception {
        XYChart chart = Charts.points("Trainable parameters against held-out loss", Axis.log("trainable parameters"),
                Axis.of("held-out loss", "nats/token"),
                List.of(Series.of("LoRA", List.of(40704, 81408, 162816, 325632, 651264), List.of(1.56, 1.53, 1.51, 1.5, 1.49))));
        assertEquals(List.of("10k", "100k", "1M"), xTickLabels(chart));
    }

    @Test void autoScaleIsLogForLearningRatesAndLinearForNarrowRanges() throws Exception {
        XYChart lr = Charts.points("final_eval_loss vs learning rate", Axis.auto("learning rate"), Axis.of("final_eval_loss"),
                List.of(Series.of("final_eval_loss", List.of(1e-5, 3e-5, 1e-4, 3e-4, 1e-3), List.of(1.6, 1.55, 1.5, 1.49, 1.52))));
        assertEquals(List.of("1e-5", "1e-4", "0.001"), xTickLabels(lr));
        XYChart narrow = Charts.points("loss vs warmup", Axis.auto("warmup steps"), Axis.of("loss"),
                List.of(Series.of("loss", List.of(10.0, 20.0, 30.0), List.of(1.0, 1.1, 1.2))));
        assertArrayEquals(new double[] {10, 20, 30}, narrow.getSeriesMap().get("loss").getXData());
        assertNull(narrow.getStyler().getxAxisTickLabelsFormattingFunction(), "a linear axis keeps XChart's labels");
    }

    @Test void autoScaleIsLogForRanks() throws Exception {
        XYChart chart = Charts.points("Held-out loss against LoRA rank", Axis.auto("rank r"), Axis.of("loss"),
                List.of(Series.of("alpha=2r", List.of(2.0, 8.0, 32.0), List.of(1.5, 1.4, 1.45))));
        // evenly spaced on the log axis: XChart ticks the ranks swept
        assertEquals(List.of("2", "8", "32"), xTickLabels(chart));
    }

    @Test void aLogAxisNeedsPositiveValues() {
        var bad = assertThrows(IllegalArgumentException.class, () -> Charts.lines("loss", Axis.log("lr"), Axis.of("loss"),
                List.of(Series.of("a", List.of(0.0, 1.0), List.of(1.0, 2.0)))));
        assertTrue(bad.getMessage().contains("positive"), bad.getMessage());
    }

    @Test void thePngRecordsTheTitle() {
        XYChart chart = Charts.lines("PPO: KL(policy || SFT) – per completion", Axis.of("step"), Axis.of("KL", "nats"),
                List.of(Series.of("KL", RANKS, LOSSES)));
        byte[] png = Charts.png(chart);
        String bytes = new String(png, StandardCharsets.ISO_8859_1);
        assertTrue(bytes.contains("iTXt" + Charts.PNG_TITLE_KEYWORD), "an iTXt chunk named Title");
        assertTrue(new String(png, StandardCharsets.UTF_8).contains("PPO: KL(policy || SFT) – per completion"));
        assertFalse(bytes.contains("20261206"));
    }
}
