package dev.tunelab.track;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.display.Charts;
import dev.tunelab.io.AtomicFiles;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.knowm.xchart.internal.chartpart.Chart;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * A logged image, chart or table: saved as a run file under {@code files/media/...} and
 * referenced from the history row by a small map in Weights &amp; Biases' media shape, so the
 * same row goes to the local store and to W&amp;B unchanged (protocol note section 5).
 *
 * @param name      the file's path under the run's {@code files/}, e.g. {@code media/images/loss_10_ab12.png}
 * @param reference what the history row holds instead of the pixels or cells
 */
public record Media(String name, Map<String, Object> reference) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** True for the values {@link Run#log} saves as media rather than as numbers. */
    static boolean isMedia(Object value) {
        return value instanceof BufferedImage || value instanceof Chart<?, ?> || value instanceof Table;
    }

    /** Saves {@code value} (an image, an XChart chart or a Tablesaw table) under {@code filesDir}. */
    static Media save(Path filesDir, String key, long step, Object value) {
        try {
            if (value instanceof BufferedImage image) {
                return image(filesDir, key, step, png(image), image.getWidth(), image.getHeight());
            }
            if (value instanceof Chart<?, ?> chart) {
                return image(filesDir, key, step, Charts.png(chart), chart.getWidth(), chart.getHeight());
            }
            if (value instanceof Table table) {
                return table(filesDir, key, step, table);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save media '" + key + "' at step " + step + " under " + filesDir, e);
        }
        throw new IllegalArgumentException("not a media value: " + value.getClass().getName());
    }

    private static Media image(Path filesDir, String key, long step, byte[] png, int width, int height) throws IOException {
        String sha = sha256(png);
        // media/images/{key}_{step}_{first 20 hex of sha256}.png, as the W&B SDK names them
        String name = "media/images/" + fileSafe(key) + "_" + step + "_" + sha.substring(0, 20) + ".png";
        AtomicFiles.write(filesDir.resolve(name), out -> out.write(png));
        Map<String, Object> ref = new LinkedHashMap<>();
        ref.put("_type", "image-file");
        ref.put("path", name);
        ref.put("sha256", sha);
        ref.put("size", png.length);
        ref.put("format", "png");
        ref.put("width", width);
        ref.put("height", height);
        return new Media(name, ref);
    }

    private static Media table(Path filesDir, String key, long step, Table table) throws IOException {
        ObjectNode json = JSON.createObjectNode();
        ArrayNode columns = json.putArray("columns");
        table.columnNames().forEach(columns::add);
        ArrayNode data = json.putArray("data");
        for (int r = 0; r < table.rowCount(); r++) {
            ArrayNode row = data.addArray();
            for (Column<?> c : table.columns()) {
                Object v = c.isMissing(r) ? null : c.get(r);
                row.add(v instanceof Number || v instanceof Boolean ? JSON.valueToTree(v) : JSON.valueToTree(v == null ? null : String.valueOf(v)));
            }
        }
        byte[] bytes = JSON.writeValueAsString(json).getBytes(StandardCharsets.UTF_8);
        String sha = sha256(bytes);
        String name = "media/table/" + fileSafe(key) + "_" + step + "_" + sha.substring(0, 20) + ".table.json";
        AtomicFiles.write(filesDir.resolve(name), out -> out.write(bytes));
        Map<String, Object> ref = new LinkedHashMap<>();
        ref.put("_type", "table-file");
        ref.put("path", name);
        ref.put("sha256", sha);
        ref.put("size", bytes.length);
        ref.put("ncols", table.columnCount());
        ref.put("nrows", table.rowCount());
        return new Media(name, ref);
    }

    private static byte[] png(BufferedImage image) throws IOException {
        var out = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", out)) {
            throw new IOException("no PNG writer for image type " + image.getType());
        }
        return out.toByteArray();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** A metric key as part of a file name ('/' groups W&amp;B charts into sections but cannot be in a name). */
    static String fileSafe(String key) {
        return key.replaceAll("[^A-Za-z0-9_.-]", "_");
    }
}
