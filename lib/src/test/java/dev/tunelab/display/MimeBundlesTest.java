package dev.tunelab.display;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

class MimeBundlesTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};

    private static XYChart chart() {
        XYChart chart = new XYChartBuilder().width(300).height(200).title("loss").build();
        chart.addSeries("train", new double[] {1, 2, 3}, new double[] {3, 2, 1});
        return chart;
    }

    private static void assertPng(String base64) {
        byte[] bytes = Base64.getDecoder().decode(base64);
        for (int i = 0; i < PNG_MAGIC.length; i++) assertEquals(PNG_MAGIC[i], bytes[i]);
    }

    @Test void chartRendersAsPngByDefault() {
        Map<String, String> bundle = MimeBundles.of(chart());
        assertPng(bundle.get(MimeBundles.PNG));
        assertFalse(bundle.containsKey(MimeBundles.SVG));
        assertTrue(bundle.get(MimeBundles.TEXT).contains("loss"));
    }

    @Test void chartRendersAsSvgWhenAsked() {
        Map<String, String> bundle = MimeBundles.of(chart(), Set.of(MimeBundles.SVG));
        assertTrue(bundle.get(MimeBundles.SVG).contains("<svg"), bundle.get(MimeBundles.SVG));
        assertFalse(bundle.containsKey(MimeBundles.PNG));
    }

    @Test void imageRendersAsPng() {
        assertPng(MimeBundles.of(new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB)).get(MimeBundles.PNG));
    }

    @Test void tableIsBoundedHtmlWithNoteAndText() {
        int[] ids = new int[25];
        String[] names = new String[25];
        for (int i = 0; i < 25; i++) {
            ids[i] = i;
            names[i] = i == 0 ? "<b>" : "n" + i;
        }
        Table t = Table.create("runs", IntColumn.create("id", ids), StringColumn.create("name", names));
        Map<String, String> bundle = MimeBundles.of(t);
        String html = bundle.get(MimeBundles.HTML);
        assertTrue(html.contains("<th>id</th>"));
        assertTrue(html.contains("&lt;b&gt;"), "cells are escaped");
        assertTrue(html.contains("n19") && !html.contains("n20"), "only the first 20 rows");
        assertTrue(html.contains("... 5 more rows"));
        assertTrue(bundle.get(MimeBundles.TEXT).endsWith("... 5 more rows"));
    }

    @Test void renderableUsesItsOwnBundle() {
        Renderable r = () -> Map.of("text/html", "<i>x</i>");
        Map<String, String> bundle = MimeBundles.of(r);
        assertEquals("<i>x</i>", bundle.get("text/html"));
        assertNotNull(bundle.get(MimeBundles.TEXT));
    }

    @Test void otherObjectsAreText() {
        assertEquals("[1, 2]", MimeBundles.text(new int[] {1, 2}));
        assertEquals("null", MimeBundles.text(null));
        assertEquals(Set.of(MimeBundles.TEXT), MimeBundles.of(42).keySet());
    }
}
