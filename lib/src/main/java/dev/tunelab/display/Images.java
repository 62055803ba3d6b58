package dev.tunelab.display;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import javax.imageio.ImageIO;

/** Images as base64 PNG, the form Jupyter expects for {@code image/png}. */
public final class Images {
    private Images() {}

    public static String pngBase64(BufferedImage image) {
        var out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", out)) throw new IOException("no PNG writer for image type " + image.getType());
        } catch (IOException e) {
            throw new UncheckedIOException("could not encode image as PNG", e);
        }
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }
}
