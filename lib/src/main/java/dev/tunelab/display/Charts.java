package dev.tunelab.display;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;

/** XChart charts as notebook images. Works headless: no window is ever opened. */
public final class Charts {
    static {
        // Rendering must never need a display server (CI, kernels started by nbconvert).
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    /**
     * A scatter chart of one metric against a setting, with a logarithmic x axis when the values
     * span two decades or more (learning rates, ranks).
     */
    public static XYChart scatter(String title, String xTitle, String yTitle,
            List<Double> xs, List<Double> ys) {
        var chart = new XYChartBuilder().width(640).height(400).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        double min = xs.stream().mapToDouble(Double::doubleValue).min().orElse(1);
        double max = xs.stream().mapToDouble(Double::doubleValue).max().orElse(1);
        chart.getStyler().setXAxisLogarithmic(min > 0 && max / min >= 100);
        if (!xs.isEmpty()) {
            chart.addSeries(yTitle, xs, ys);
        }
        return chart;
    }

    public static byte[] png(Chart<?, ?> chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("could not encode chart as PNG", e);
        }
    }

    public static String pngBase64(Chart<?, ?> chart) {
        return Base64.getEncoder().encodeToString(png(chart));
    }

    public static String svg(Chart<?, ?> chart) {
        var out = new ByteArrayOutputStream();
        try {
            VectorGraphicsEncoder.saveVectorGraphic(chart, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        } catch (IOException e) {
            throw new UncheckedIOException("could not encode chart as SVG", e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static String describe(Chart<?, ?> chart) {
        String title = chart.getTitle() == null || chart.getTitle().isEmpty() ? "untitled" : chart.getTitle();
        return chart.getClass().getSimpleName() + " \"" + title + "\" " + chart.getWidth() + "x" + chart.getHeight();
    }
}
