package dev.tunelab.display;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.internal.chartpart.Chart;
import tech.tablesaw.api.Table;

/**
 * Turns objects into MIME bundles by type: tunelab's {@link Renderable}s, XChart charts
 * (PNG, SVG on request), images (PNG), Tablesaw tables (HTML with bounded rows), anything
 * else as {@code text/plain}. Shared by the kernel and by code that writes reports.
 */
public final class MimeBundles {
    public static final String TEXT = "text/plain";
    public static final String HTML = "text/html";
    public static final String PNG = "image/png";
    public static final String SVG = "image/svg+xml";

    private MimeBundles() {}

    /** The default bundle for {@code value}. */
    public static Map<String, String> of(Object value) {
        return of(value, Set.of());
    }

    /**
     * The bundle for {@code value}; {@code requested} names extra types the caller wants
     * (for example {@code image/svg+xml} for a chart). Empty means "the default".
     */
    public static Map<String, String> of(Object value, Set<String> requested) {
        Map<String, String> bundle = new LinkedHashMap<>();
        if (value instanceof Renderable r) {
            bundle.putAll(r.mimeBundle());
        } else if (value instanceof Chart<?, ?> chart) {
            if (requested.isEmpty() || requested.contains(PNG)) bundle.put(PNG, Charts.pngBase64(chart));
            if (requested.contains(SVG)) bundle.put(SVG, Charts.svg(chart));
            bundle.put(TEXT, Charts.describe(chart));
        } else if (value instanceof BufferedImage image) {
            bundle.put(PNG, Images.pngBase64(image));
            bundle.put(TEXT, "BufferedImage " + image.getWidth() + "x" + image.getHeight());
        } else if (value instanceof Table table) {
            bundle.put(HTML, Tables.html(table, Tables.DEFAULT_MAX_ROWS));
            bundle.put(TEXT, Tables.text(table, Tables.DEFAULT_MAX_ROWS));
        }
        bundle.putIfAbsent(TEXT, plainText(value));
        if (!requested.isEmpty()) bundle.keySet().retainAll(union(requested, TEXT));
        return bundle;
    }

    /** What a plain program prints for {@code value}. */
    public static String text(Object value) {
        return of(value).get(TEXT);
    }

    private static String plainText(Object value) {
        if (value instanceof Object[] array) return Arrays.deepToString(array);
        if (value != null && value.getClass().isArray()) return primitiveArray(value);
        return String.valueOf(value);
    }

    private static String primitiveArray(Object array) {
        if (array instanceof int[] a) return Arrays.toString(a);
        if (array instanceof long[] a) return Arrays.toString(a);
        if (array instanceof float[] a) return Arrays.toString(a);
        if (array instanceof double[] a) return Arrays.toString(a);
        if (array instanceof byte[] a) return Arrays.toString(a);
        if (array instanceof short[] a) return Arrays.toString(a);
        if (array instanceof char[] a) return Arrays.toString(a);
        if (array instanceof boolean[] a) return Arrays.toString(a);
        return String.valueOf(array);
    }

    private static Set<String> union(Set<String> a, String b) {
        var all = new java.util.HashSet<>(a);
        all.add(b);
        return all;
    }
}
