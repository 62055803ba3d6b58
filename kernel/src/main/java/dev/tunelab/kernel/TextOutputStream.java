package dev.tunelab.kernel;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The bytes System.out receives, handed on as text. A character whose UTF-8 bytes arrive in
 * two writes is held back until it is whole, so chunks never split one. {@link #flush} does
 * nothing: {@code println} flushes after every line, and sending each line on its own is
 * what flooded the client; {@link StreamPump} decides when text goes out.
 */
final class TextOutputStream extends OutputStream {
    private final Consumer<String> target;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final ByteBuffer partial = ByteBuffer.allocate(8); // the start of an unfinished character

    TextOutputStream(Consumer<String> target) {
        this.target = target;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) {
        ByteBuffer in;
        if (partial.position() == 0) {
            in = ByteBuffer.wrap(bytes, offset, length);
        } else {
            partial.flip();
            in = ByteBuffer.allocate(partial.remaining() + length).put(partial).put(bytes, offset, length).flip();
            partial.clear();
        }
        CharBuffer text = CharBuffer.allocate(in.remaining()); // UTF-8 never decodes to more chars than bytes
        decoder.decode(in, text, false);
        partial.put(in); // fewer than 4 bytes of an unfinished character remain
        text.flip();
        if (text.hasRemaining()) target.accept(text.toString());
    }

    @Override
    public void flush() {}
}
