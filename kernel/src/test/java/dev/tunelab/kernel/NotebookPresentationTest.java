package dev.tunelab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.display.Charts;
import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Tables;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Reads the outputs committed in notebooks/*.ipynb the way a reader sees them and reports what
 * makes them hard to read (issue 17): doubles printed with more than {@value #MAX_SIGNIFICANT}
 * significant digits (the rest is run-to-run noise), HTML tables taller than {@value #MAX_ROWS}
 * rows, table cells with more than {@value #MAX_CELL_CHARS} characters outside a {@code <details>}
 * element, and charts titled with a run id or not titled at all. Each finding names the notebook,
 * the cell index (as in the .ipynb "cells" array) and the offending text.
 *
 * <p>The scanner itself is tested on every run, and so are the committed notebooks: a notebook
 * committed with outputs that break the standard fails the tests.
 */
class NotebookPresentationTest {
    static final int MAX_SIGNIFICANT = 6;
    static final int MAX_ROWS = 40;
    static final int MAX_CELL_CHARS = 300;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path NOTEBOOKS = Path.of("").toAbsolutePath().resolveSibling("notebooks");

    /** A decimal number as printed: optional sign, digits (maybe grouped 1,234), a fraction, maybe an exponent. */
    private static final Pattern DOUBLE = Pattern.compile(
            "(?<![\\w.])-?(?:\\d{1,3}(?:,\\d{3})+|\\d+)\\.\\d+(?:[eE][-+]?\\d+)?(?!\\w|\\.\\d)");
    private static final Pattern DATA_URI = Pattern.compile("data:[\\w/+.-]+;base64,[A-Za-z0-9+/=]+");
    private static final Pattern TABLE = Pattern.compile("<table\\b.*?</table>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE);
    private static final Pattern ROW = Pattern.compile("<tr\\b.*?</tr>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE);
    private static final Pattern CELL = Pattern.compile("<td\\b[^>]*>(.*?)</td>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE);
    private static final Pattern DETAILS = Pattern.compile("<details\\b.*?</details>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE);
    private static final Pattern TAG = Pattern.compile("<[^>]*>");
    private static final Pattern IMG_PNG = Pattern.compile("<img\\b[^>]*src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");
    /** What {@link Charts#describe} writes as a chart's text/plain. */
    private static final Pattern DESCRIBED_CHART = Pattern.compile("^\\w*Chart \"(.*)\" \\d+x\\d+$", Pattern.DOTALL);

    /** One problem: where it is and the text that shows it. */
    record Finding(String notebook, int cell, String where, String problem, String text) {
        @Override
        public String toString() {
            return notebook + " cell " + cell + " " + where + ": " + problem + ": " + text;
        }
    }

    @Test
    void committedNotebooksArePresentable() throws IOException {
        List<Path> notebooks;
        try (Stream<Path> files = Files.list(NOTEBOOKS)) {
            notebooks = files.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
        }
        assertFalse(notebooks.isEmpty(), "no notebooks in " + NOTEBOOKS);
        Map<String, Integer> counts = new LinkedHashMap<>();
        List<Finding> findings = new ArrayList<>();
        for (Path nb : notebooks) {
            List<Finding> found = scan(nb.getFileName().toString(), Files.readString(nb));
            counts.put(nb.getFileName().toString(), found.size());
            findings.addAll(found);
        }
        var report = new StringBuilder(findings.size() + " presentation problems in the committed notebook outputs:\n");
        counts.forEach((nb, n) -> report.append("  ").append(nb).append(": ").append(n).append('\n'));
        findings.forEach(f -> report.append(f).append('\n'));
        assertTrue(findings.isEmpty(), report.toString());
    }

    /** Every problem in one notebook's outputs, in cell order. */
    static List<Finding> scan(String name, String notebookJson) throws IOException {
        List<Finding> findings = new ArrayList<>();
        JsonNode cells = JSON.readTree(notebookJson).path("cells");
        for (int i = 0; i < cells.size(); i++) {
            JsonNode cell = cells.get(i);
            if (!"code".equals(cell.path("cell_type").asText())) continue;
            for (JsonNode output : cell.path("outputs")) {
                if (output.has("text")) numbers(findings, name, i, "stdout", text(output.get("text")));
                JsonNode data = output.path("data");
                String plain = data.has(MimeBundles.TEXT) ? text(data.get(MimeBundles.TEXT)) : null;
                if (plain != null) numbers(findings, name, i, MimeBundles.TEXT, plain);
                if (data.has(MimeBundles.HTML)) html(findings, name, i, text(data.get(MimeBundles.HTML)));
                if (data.has(MimeBundles.PNG)) {
                    chartTitle(findings, name, i, MimeBundles.PNG, pngTitle(text(data.get(MimeBundles.PNG))), plain);
                }
            }
        }
        return findings;
    }

    private static void numbers(List<Finding> findings, String nb, int cell, String where, String text) {
        Matcher m = DOUBLE.matcher(DATA_URI.matcher(text).replaceAll(""));
        while (m.find()) {
            int digits = significantDigits(m.group());
            if (digits > MAX_SIGNIFICANT) findings.add(new Finding(nb, cell, where, digits + " significant digits", m.group()));
        }
    }

    static int significantDigits(String number) {
        String mantissa = number.replaceFirst("[eE].*", "").replaceAll("[^0-9]", "");
        return mantissa.replaceFirst("^0+", "").length();
    }

    private static void html(List<Finding> findings, String nb, int cell, String html) {
        numbers(findings, nb, cell, MimeBundles.HTML, html);
        Matcher tables = TABLE.matcher(html);
        while (tables.find()) {
            String table = tables.group();
            long rows = ROW.matcher(table).results().filter(r -> r.group().toLowerCase().contains("<td")).count();
            if (rows > MAX_ROWS) {
                findings.add(new Finding(nb, cell, MimeBundles.HTML, "table with " + rows + " rows", excerpt(table)));
            }
            Matcher cells = CELL.matcher(table);
            while (cells.find()) {
                String shown = unescape(TAG.matcher(DETAILS.matcher(cells.group(1)).replaceAll("")).replaceAll(""));
                if (shown.length() > MAX_CELL_CHARS) {
                    findings.add(new Finding(nb, cell, MimeBundles.HTML,
                            "cell of " + shown.length() + " characters outside <details>", excerpt(shown)));
                }
            }
        }
        Matcher images = IMG_PNG.matcher(html);
        while (images.find()) chartTitle(findings, nb, cell, "text/html <img>", pngTitle(images.group(1)), null);
    }

    /**
     * A chart's title comes from the PNG (the library records it there) or from the text/plain the
     * kernel shows beside a chart; an image with neither (a picture, or a result from before the
     * library recorded titles) is not judged.
     */
    private static void chartTitle(List<Finding> findings, String nb, int cell, String where, String pngTitle, String plain) {
        String title = pngTitle;
        String source = where + " title";
        if (title == null && plain != null) {
            Matcher described = DESCRIBED_CHART.matcher(plain.strip());
            if (described.matches()) {
                title = described.group(1);
                source = MimeBundles.TEXT + " chart title";
            }
        }
        if (title == null) return;
        if (title.isBlank() || title.equals("untitled")) {
            findings.add(new Finding(nb, cell, source, "chart without a title", plain == null ? "" : plain.strip()));
        } else if (Charts.RUN_ID.matcher(title).find()) {
            findings.add(new Finding(nb, cell, source, "chart titled with a run id", title));
        }
    }

    /** The PNG's "Title" text (tEXt, zTXt or iTXt), or null. */
    static String pngTitle(String base64) {
        byte[] png;
        try {
            png = Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException notBase64) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(png);
        if (png.length < 8) return null;
        b.position(8); // signature
        while (b.remaining() >= 12) {
            int length = b.getInt();
            byte[] type = new byte[4];
            b.get(type);
            if (length < 0 || length > b.remaining() - 4) return null;
            byte[] chunk = new byte[length];
            b.get(chunk);
            b.getInt(); // crc
            String kind = new String(type, StandardCharsets.ISO_8859_1);
            String title = switch (kind) {
                case "tEXt", "zTXt", "iTXt" -> title(kind, chunk);
                default -> null;
            };
            if (title != null) return title;
            if (kind.equals("IEND")) break;
        }
        return null;
    }

    private static String title(String kind, byte[] chunk) {
        int end = indexOf(chunk, 0);
        if (end < 0 || !new String(chunk, 0, end, StandardCharsets.ISO_8859_1).equals(Charts.PNG_TITLE_KEYWORD)) return null;
        int at = end + 1;
        if (kind.equals("tEXt")) return new String(chunk, at, chunk.length - at, StandardCharsets.ISO_8859_1);
        if (kind.equals("zTXt")) return new String(inflate(chunk, at + 1), StandardCharsets.ISO_8859_1);
        boolean compressed = chunk[at] == 1;
        at += 2; // compression flag and method
        at = indexOf(chunk, at) + 1; // language tag
        at = indexOf(chunk, at) + 1; // translated keyword
        byte[] text = compressed ? inflate(chunk, at) : java.util.Arrays.copyOfRange(chunk, at, chunk.length);
        return new String(text, StandardCharsets.UTF_8);
    }

    private static int indexOf(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) if (bytes[i] == 0) return i;
        return -1;
    }

    private static byte[] inflate(byte[] bytes, int from) {
        var inflater = new Inflater();
        inflater.setInput(bytes, from, bytes.length - from);
        var out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        try {
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) break;
                out.write(buffer, 0, n);
            }
        } catch (DataFormatException e) {
            return new byte[0];
        } finally {
            inflater.end();
        }
        return out.toByteArray();
    }

    /** Jupyter stores text as a string or as a list of lines. */
    private static String text(JsonNode node) {
        if (!node.isArray()) return node.asText();
        var s = new StringBuilder();
        node.forEach(line -> s.append(line.asText()));
        return s.toString();
    }

    private static String unescape(String html) {
        return html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
                .replace("&amp;", "&");
    }

    private static String excerpt(String text) {
        String line = text.strip().replaceAll("\\s+", " ");
        return line.length() <= 80 ? line : line.substring(0, 80) + "…";
    }

    // ---- the scanner on made-up notebooks ----

    private static String notebook(Map<String, String> data) throws IOException {
        Map<String, Object> output = Map.of("output_type", "execute_result", "data", data, "metadata", Map.of());
        Map<String, Object> cell = Map.of("cell_type", "code", "source", List.of("x"), "outputs", List.of(output));
        Map<String, Object> markdown = Map.of("cell_type", "markdown", "source", List.of("0.12345678901"));
        return JSON.writeValueAsString(Map.of("cells", List.of(markdown, cell)));
    }

    private static List<Finding> scan(Map<String, String> data) throws IOException {
        return scan("t.ipynb", notebook(data));
    }

    @Test
    void noisyDoublesAreReportedWithCellAndText() throws IOException {
        List<Finding> found = scan(Map.of(MimeBundles.TEXT, "margin 0.22489087820053105, loss=1,234.56789 [0.1,0.2,116.9231]",
                MimeBundles.HTML, "<table><tr><td>22.9602</td><td>7.692</td></tr></table>"));
        assertEquals(List.of(
                "t.ipynb cell 1 text/plain: 17 significant digits: 0.22489087820053105",
                "t.ipynb cell 1 text/plain: 9 significant digits: 1,234.56789",
                "t.ipynb cell 1 text/plain: 7 significant digits: 116.9231"),
                found.stream().map(Finding::toString).toList(), "22.9602 has 6 digits: allowed");
    }

    @Test
    void numbersThatAreNotNoiseAreLeftAlone() throws IOException {
        assertEquals(List.of(), scan(Map.of(MimeBundles.TEXT,
                "xchart 3.8.8, run 20261206-031001-rm-1d3e, 590,688 params, 1.5e-05, loss 0.2249. v1.2345678 "
                        + "<img src=\"data:image/png;base64,AAAA1.2345678/\"/>")));
        assertEquals(7, significantDigits("1.500000"));
        assertEquals(4, significantDigits("-0.001234e-05"));
    }

    @Test
    void tallTablesAndLongCellsAreReported() throws IOException {
        String story = "Once upon a time ".repeat(20);
        var rows = new StringBuilder("<table><thead><tr><th>i</th></tr></thead><tbody>");
        for (int i = 0; i < 41; i++) rows.append("<tr><td>").append(i).append("</td></tr>");
        rows.append("<tr><td style=\"x\">").append(story).append("</td></tr>");
        rows.append("<tr><td><details><summary>Once…</summary>").append(story).append("</details></td></tr></tbody></table>");
        List<String> found = scan(Map.of(MimeBundles.HTML, rows.toString())).stream().map(Finding::problem).toList();
        assertEquals(List.of("table with 43 rows", "cell of 340 characters outside <details>"), found);
    }

    @Test
    void chartsTitledWithRunIdsOrUntitledAreReported() throws IOException {
        assertEquals(List.of("chart titled with a run id: 20261206-031001-reward-model-1d3e"),
                scan(Map.of(MimeBundles.PNG, "iVBORw0KGgo=", MimeBundles.TEXT, "XYChart \"20261206-031001-reward-model-1d3e\" 640x360"))
                        .stream().map(f -> f.problem() + ": " + f.text()).toList());
        assertEquals(List.of("chart without a title"),
                scan(Map.of(MimeBundles.PNG, "iVBORw0KGgo=", MimeBundles.TEXT, "XYChart \"untitled\" 640x360"))
                        .stream().map(Finding::problem).toList());
        assertEquals(List.of(), scan(Map.of(MimeBundles.PNG, "iVBORw0KGgo=", MimeBundles.TEXT, "BufferedImage 4x3")));
    }

    @Test
    void titlesRecordedInThePngAreRead() throws IOException {
        XYChart chart = new XYChartBuilder().width(200).height(120).title("best run 20261206-015526-09-lora-2-2703: loss").build();
        chart.addSeries("loss", new double[] {1, 2}, new double[] {2, 1});
        String png = Charts.pngBase64(chart);
        assertEquals("best run 20261206-015526-09-lora-2-2703: loss", pngTitle(png));
        // a result's own text/plain says nothing of the chart: the PNG still tells
        List<Finding> found = scan(Map.of(MimeBundles.PNG, png, MimeBundles.TEXT, "TrainResult(run=20261206-015526-09-lora-2-2703)",
                MimeBundles.HTML, "<div><img src=\"data:image/png;base64," + png + "\"/></div>"));
        assertEquals(List.of("text/html <img> title", "image/png title"), found.stream().map(Finding::where).toList());
    }

    /** What the library renders by default passes the scan: its defaults and the scanner agree. */
    @Test
    void theLibraryDefaultsPassTheScan() throws IOException {
        String story = "Once upon a time, there was a little girl named Lily who loved the sea. ".repeat(12);
        int n = 60;
        String[] outputs = new String[n];
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            outputs[i] = story + i;
            scores[i] = 1.0 / (i + 3) + 1e-9 * i;
        }
        Table examples = Table.create("examples", StringColumn.create("output", outputs), DoubleColumn.create("score", scores));
        List<Finding> found = new ArrayList<>(scan(MimeBundles.of(examples)));
        found.addAll(scan(Tables.mimeBundle(examples, MAX_ROWS)));
        XYChart chart = Charts.byStep("Training loss", List.of(Map.of("step", 1, "loss", 0.22489087820053105),
                Map.of("step", 2, "loss", 0.2)), List.of("loss"));
        found.addAll(scan(MimeBundles.of(chart)));
        assertEquals(List.of(), found.stream().map(Finding::toString).toList());
        // and the same table printed raw would not
        assertFalse(scan(Map.of(MimeBundles.TEXT, examples.printAll())).isEmpty());
    }
}
