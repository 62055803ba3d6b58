package dev.tunelab.display;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * XChart charts in one house style, and as notebook images. Every chart made here has a title that
 * says what it shows (not a run id), axis titles (with units where the caller knows them), a legend
 * naming each series, one scale per y axis (a second quantity goes on a right-hand axis), and
 * readable logarithmic axes. Works headless: no window is ever opened.
 *
 * <p>A logarithmic x axis is drawn on the logarithm of the values (base 2 when every value is a
 * power of two, as ranks are, otherwise base 10), with ticks labelled in the original units:
 * {@code 1 2 4 … 64} or {@code 10k 100k 1M}. XChart's own log axis labels only decades, as
 * {@code 1E4}. The chart therefore holds the logarithms: read values from your data, not from the
 * chart's series.
 */
public final class Charts {
    static {
        // Rendering must never need a display server (CI, kernels started by nbconvert).
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    public static final int WIDTH = 720;
    public static final int HEIGHT = 400;
    /** A run id (20261206-031001-reward-model-1d3e) names a folder, not what a chart shows. */
    public static final Pattern RUN_ID = Pattern.compile("\\d{8}-\\d{6}-");
    /** Lines with more points than this are drawn without markers. */
    static final int MARKER_LIMIT = 30;
    /** The PNG text keyword under which {@link #png} records the chart title (a standard PNG keyword). */
    public static final String PNG_TITLE_KEYWORD = "Title";
    private static final String PNG_METADATA = "javax_imageio_png_1.0";
    /** A tick without a label: XChart cannot draw an empty string. */
    private static final String NO_LABEL = " ";

    private Charts() {}

    /** How values map onto an axis. */
    public enum Scale {
        LINEAR,
        /** Logarithmic; every value must be positive. */
        LOG,
        /** Logarithmic when the values are positive and span two decades, or are powers of two spanning 8x. */
        AUTO
    }

    /** An axis: what it shows, with the unit in parentheses when known, and its scale. */
    public record Axis(String title, Scale scale) {
        public Axis {
            requireText(title, "axis title");
            Objects.requireNonNull(scale, "scale");
        }

        public static Axis of(String quantity) {
            return new Axis(quantity, Scale.LINEAR);
        }

        /** {@code of("held-out loss", "nats/token")} is titled "held-out loss (nats/token)". */
        public static Axis of(String quantity, String unit) {
            return of(withUnit(quantity, unit));
        }

        public static Axis log(String quantity) {
            return new Axis(quantity, Scale.LOG);
        }

        public static Axis log(String quantity, String unit) {
            return log(withUnit(quantity, unit));
        }

        public static Axis auto(String quantity) {
            return new Axis(quantity, Scale.AUTO);
        }

        private static String withUnit(String quantity, String unit) {
            return unit == null || unit.isBlank() ? quantity : quantity + " (" + unit + ")";
        }
    }

    /** One series: its legend name and its points, pairs with a non-finite value left out. */
    public record Series(String name, List<Double> xs, List<Double> ys) {
        public Series {
            requireText(name, "series name");
            if (xs.size() != ys.size()) {
                throw new IllegalArgumentException("series '" + name + "' has " + xs.size() + " x and " + ys.size() + " y values");
            }
            List<Double> keptX = new ArrayList<>();
            List<Double> keptY = new ArrayList<>();
            for (int i = 0; i < xs.size(); i++) {
                Double x = xs.get(i);
                Double y = ys.get(i);
                if (x != null && y != null && Double.isFinite(x) && Double.isFinite(y)) {
                    keptX.add(x);
                    keptY.add(y);
                }
            }
            xs = List.copyOf(keptX);
            ys = List.copyOf(keptY);
        }

        public static Series of(String name, List<? extends Number> xs, List<? extends Number> ys) {
            return new Series(name, doubles(xs), doubles(ys));
        }

        public static Series of(String name, double[] xs, double[] ys) {
            return new Series(name, java.util.Arrays.stream(xs).boxed().toList(), java.util.Arrays.stream(ys).boxed().toList());
        }

        /**
         * {@code yKey} against {@code xKey} from logged rows (a run's history: {@code "step"} and a
         * metric), keeping the rows where both are numbers.
         */
        public static Series fromRows(String name, List<? extends Map<String, ?>> rows, String xKey, String yKey) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (Map<String, ?> row : rows) {
                if (row.get(xKey) instanceof Number x && row.get(yKey) instanceof Number y) {
                    xs.add(x.doubleValue());
                    ys.add(y.doubleValue());
                }
            }
            return new Series(name, xs, ys);
        }

        public boolean isEmpty() {
            return xs.isEmpty();
        }

        private static List<Double> doubles(List<? extends Number> values) {
            return values.stream().map(v -> v == null ? Double.NaN : v.doubleValue()).toList();
        }
    }

    /** Lines (with markers when short) of every non-empty series on one y axis. */
    public static XYChart lines(String title, Axis x, Axis y, List<Series> series) {
        return build(title, x, y, series, null, List.of(), XYSeries.XYSeriesRenderStyle.Line);
    }

    /** Points of every non-empty series on one y axis. */
    public static XYChart points(String title, Axis x, Axis y, List<Series> series) {
        return build(title, x, y, series, null, List.of(), XYSeries.XYSeriesRenderStyle.Scatter);
    }

    /**
     * Two quantities against the same x that do not share a scale (a loss and an accuracy, a KL
     * and its coefficient): {@code leftSeries} on the left y axis, {@code rightSeries} on the
     * right, their legend names marked "(right axis)".
     */
    public static XYChart lines(String title, Axis x, Axis left, List<Series> leftSeries, Axis right,
            List<Series> rightSeries) {
        Objects.requireNonNull(right, "right axis");
        return build(title, x, left, leftSeries, right, rightSeries, XYSeries.XYSeriesRenderStyle.Line);
    }

    /**
     * Points of two quantities that do not share a scale (a reward model's score and the gold
     * judge's reward): {@code leftSeries} on the left y axis, {@code rightSeries} on the right.
     */
    public static XYChart points(String title, Axis x, Axis left, List<Series> leftSeries, Axis right,
            List<Series> rightSeries) {
        Objects.requireNonNull(right, "right axis");
        return build(title, x, left, leftSeries, right, rightSeries, XYSeries.XYSeriesRenderStyle.Scatter);
    }

    /**
     * Logged metrics against {@code "step"} (a run's history rows), one line per metric that was
     * logged, all on one axis: use it for metrics of one quantity ("loss", "eval_loss"). The y axis
     * is titled with the metrics actually drawn.
     */
    public static XYChart byStep(String title, List<? extends Map<String, ?>> rows, List<String> metrics) {
        List<Series> series = metricSeries(rows, metrics);
        return lines(title, Axis.of("step"), Axis.of(namesOf(series, metrics)), series);
    }

    /**
     * Logged metrics against {@code "step"} on two y axes: {@code left} metrics (say "loss") on the
     * left, {@code right} metrics (say "eval_accuracy") on the right. A side with nothing logged is
     * left out, so each axis title names what is drawn on it.
     */
    public static XYChart byStep(String title, List<? extends Map<String, ?>> rows, List<String> left, List<String> right) {
        List<Series> leftSeries = metricSeries(rows, left);
        List<Series> rightSeries = metricSeries(rows, right);
        if (leftSeries.isEmpty() || rightSeries.isEmpty()) {
            List<Series> drawn = leftSeries.isEmpty() ? rightSeries : leftSeries;
            return lines(title, Axis.of("step"), Axis.of(namesOf(drawn, leftSeries.isEmpty() ? right : left)), drawn);
        }
        return lines(title, Axis.of("step"), Axis.of(namesOf(leftSeries, left)), leftSeries,
                Axis.of(namesOf(rightSeries, right)), rightSeries);
    }

    /**
     * The chart as PNG bytes, its title recorded as PNG text ({@value #PNG_TITLE_KEYWORD}) so a
     * notebook's committed images can be checked without reading pixels.
     */
    public static byte[] png(Chart<?, ?> chart) {
        BufferedImage image = BitmapEncoder.getBufferedImage(chart);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        var out = new ByteArrayOutputStream();
        try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(stream);
            IIOMetadata metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(image), null);
            String title = chart.getTitle();
            if (title != null && !title.isBlank()) {
                // iTXt rather than tEXt: titles are UTF-8 (||, –), tEXt is Latin-1 only
                var entry = new IIOMetadataNode("iTXtEntry");
                entry.setAttribute("keyword", PNG_TITLE_KEYWORD);
                entry.setAttribute("compressionFlag", "FALSE");
                entry.setAttribute("compressionMethod", "0");
                entry.setAttribute("languageTag", "");
                entry.setAttribute("translatedKeyword", "");
                entry.setAttribute("text", title);
                var text = new IIOMetadataNode("iTXt");
                text.appendChild(entry);
                var root = new IIOMetadataNode(PNG_METADATA);
                root.appendChild(text);
                metadata.mergeTree(PNG_METADATA, root);
            }
            writer.write(new IIOImage(image, null, metadata));
        } catch (IOException e) {
            throw new UncheckedIOException("could not encode chart as PNG", e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
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

    /** The text a notebook shows beside a chart: {@code XYChart "title" 720x400}. */
    public static String describe(Chart<?, ?> chart) {
        String title = chart.getTitle() == null || chart.getTitle().isEmpty() ? "untitled" : chart.getTitle();
        return chart.getClass().getSimpleName() + " \"" + title + "\" " + chart.getWidth() + "x" + chart.getHeight();
    }

    private static XYChart build(String title, Axis x, Axis left, List<Series> leftSeries, Axis right,
            List<Series> rightSeries, XYSeries.XYSeriesRenderStyle style) {
        requireTitle(title);
        Objects.requireNonNull(x, "x axis");
        Objects.requireNonNull(left, "y axis");
        List<Series> all = new ArrayList<>(leftSeries);
        all.addAll(rightSeries);
        Set<String> names = new LinkedHashSet<>();
        for (Series s : all) {
            if (!names.add(s.name())) throw new IllegalArgumentException("two series are named '" + s.name() + "'");
        }
        LogAxis log = LogAxis.choose(x, all);

        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x.title())
                .yAxisTitle(left.title()).build();
        var styler = chart.getStyler();
        styler.setDefaultSeriesRenderStyle(style);
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
        styler.setLegendLayout(Styler.LegendLayout.Horizontal);
        styler.setChartBackgroundColor(java.awt.Color.WHITE);
        if (style == XYSeries.XYSeriesRenderStyle.Scatter) styler.setMarkerSize(8);
        if (log != null) log.apply(chart);
        add(chart, leftSeries, 0, "", log);
        if (right != null && !rightSeries.isEmpty()) {
            add(chart, rightSeries, 1, " (right axis)", log);
            chart.setYAxisGroupTitle(0, left.title());
            chart.setYAxisGroupTitle(1, right.title());
            styler.setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        }
        return chart;
    }

    private static void add(XYChart chart, List<Series> series, int yGroup, String suffix, LogAxis log) {
        for (Series s : series) {
            if (s.isEmpty()) continue;
            List<Double> xs = log == null ? s.xs() : s.xs().stream().map(log::position).toList();
            XYSeries added = chart.addSeries(s.name() + suffix, xs, s.ys());
            added.setYAxisGroup(yGroup);
            if (chart.getStyler().getDefaultSeriesRenderStyle() == XYSeries.XYSeriesRenderStyle.Line) {
                added.setMarker(xs.size() > MARKER_LIMIT ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
            }
        }
    }

    /** A log axis drawn as a linear axis over log(x), ticks labelled at whole powers of the base. */
    private record LogAxis(int base, double min, double max, Set<Double> positions) {
        static LogAxis choose(Axis axis, List<Series> series) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            boolean powersOfTwo = true;
            for (Series s : series) {
                for (double x : s.xs()) {
                    lo = Math.min(lo, x);
                    hi = Math.max(hi, x);
                    powersOfTwo &= x > 0 && x == Math.scalb(1.0, Math.getExponent(x));
                }
            }
            if (lo > hi || axis.scale() == Scale.LINEAR) return null;
            if (lo <= 0) {
                if (axis.scale() == Scale.AUTO) return null;
                throw new IllegalArgumentException("logarithmic axis '" + axis.title() + "' needs positive values, got " + lo);
            }
            if (axis.scale() == Scale.AUTO && !(hi / lo >= 100 || (powersOfTwo && hi / lo >= 8))) return null;
            int base = powersOfTwo ? 2 : 10;
            double min = Math.floor(log(base, lo) + 1e-9);
            double max = Math.ceil(log(base, hi) - 1e-9);
            if (max == min) {
                min -= 1;
                max += 1;
            }
            Set<Double> positions = new java.util.HashSet<>();
            for (Series s : series) s.xs().forEach(x -> positions.add(log(base, x)));
            return new LogAxis(base, min, max, positions);
        }

        double position(double x) {
            return log(base, x);
        }

        void apply(XYChart chart) {
            var styler = chart.getStyler();
            styler.setXAxisMin(min);
            styler.setXAxisMax(max);
            // Whole powers are labelled (10k, 100k). XChart puts ticks on the data values instead
            // when those are evenly spaced (3e-5, 3e-4, 3e-3), and then each is labelled with its value.
            // Other ticks stay blank; blank labels repeat, and XChart widens the tick spacing until
            // labels are unique, which leaves the whole powers.
            Function<Double, String> label = t -> {
                long power = Math.round(t);
                if (Math.abs(t - power) < 1e-6) return Numbers.compact(Math.pow(base, power));
                return positions.contains(t) ? Numbers.compact(Math.pow(base, t)) : NO_LABEL;
            };
            styler.setxAxisTickLabelsFormattingFunction(label);
        }

        private static double log(int base, double x) {
            // base 2 only holds powers of two: their exponent is exact, so rank 64 sits on the tick labelled 64
            return base == 2 ? Math.getExponent(x) : Math.log10(x);
        }
    }

    private static List<Series> metricSeries(List<? extends Map<String, ?>> rows, List<String> metrics) {
        List<Series> series = new ArrayList<>();
        for (String m : metrics) {
            Series s = Series.fromRows(m, rows, "step", m);
            if (!s.isEmpty()) series.add(s);
        }
        return series;
    }

    /** The names of the series drawn, or of the metrics asked for when none was logged. */
    private static String namesOf(List<Series> drawn, List<String> asked) {
        return String.join(", ", drawn.isEmpty() ? asked : drawn.stream().map(Series::name).toList());
    }

    private static void requireTitle(String title) {
        requireText(title, "chart title");
        if (RUN_ID.matcher(title).find()) {
            throw new IllegalArgumentException("chart title '" + title + "' holds a run id; say what the chart shows");
        }
    }

    private static void requireText(String text, String what) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException(what + " is empty");
    }
}
