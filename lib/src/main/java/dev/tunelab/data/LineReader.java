package dev.tunelab.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Lines of a UTF-8 stream with their numbers. Unlike {@code BufferedReader} it holds at most
 * {@code maxBytes} of a line (a longer one is read past and reported, so one huge line cannot
 * exhaust memory) and reports invalid UTF-8 per line instead of replacing it silently.
 */
final class LineReader implements AutoCloseable {

    /** A line, or the reason it could not be read ({@code text} is then null). */
    record Line(long number, String text, String problem) {}

    private final InputStream in;
    private final int maxBytes;
    private final byte[] buf = new byte[1 << 16];
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private byte[] line = new byte[1 << 10];
    private int pos;
    private int lim;
    private long number;

    LineReader(InputStream in, int maxBytes) {
        this.in = in;
        this.maxBytes = maxBytes;
    }

    /** The next line without its {@code \n} or {@code \r\n}; null at the end. */
    Line next() throws IOException {
        int len = 0;
        boolean tooLong = false;
        boolean any = false;
        while (true) {
            if (pos == lim) {
                lim = in.read(buf);
                pos = 0;
                if (lim <= 0) {
                    lim = 0;
                    if (!any) return null;
                    break; // last line without a final newline
                }
            }
            any = true;
            int start = pos;
            while (pos < lim && buf[pos] != '\n') pos++;
            int n = pos - start;
            if (!tooLong && len + n > maxBytes) tooLong = true;
            if (!tooLong) {
                if (len + n > line.length) line = Arrays.copyOf(line, Math.max(len + n, Math.min(maxBytes, 2 * line.length)));
                System.arraycopy(buf, start, line, len, n);
                len += n;
            }
            if (pos < lim) {
                pos++; // the '\n'
                break;
            }
        }
        number++;
        if (tooLong) {
            return new Line(number, null, "line is longer than " + maxBytes
                    + " bytes (raise LoadOptions.maxLineBytes if such rows are expected)");
        }
        if (len > 0 && line[len - 1] == '\r') len--;
        int off = number == 1 && len >= 3 && (line[0] & 0xff) == 0xef && (line[1] & 0xff) == 0xbb && (line[2] & 0xff) == 0xbf ? 3 : 0;
        ByteBuffer bytes = ByteBuffer.wrap(line, off, len - off);
        try {
            return new Line(number, utf8.decode(bytes).toString(), null);
        } catch (CharacterCodingException e) {
            // decode() leaves the buffer at the first byte it could not decode
            return new Line(number, null, "invalid UTF-8 at byte " + (bytes.position() - off + 1) + " of the line");
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
