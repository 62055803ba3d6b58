package dev.tunelab.kernel;

import io.github.spencerpark.jupyter.channels.ShellReplyEnvironment;
import io.github.spencerpark.jupyter.kernel.display.DisplayData;
import io.github.spencerpark.jupyter.messages.ContentType;
import io.github.spencerpark.jupyter.messages.Message;
import io.github.spencerpark.jupyter.messages.publish.PublishClearOutput;
import io.github.spencerpark.jupyter.messages.publish.PublishDisplayData;
import io.github.spencerpark.jupyter.messages.publish.PublishStream;
import io.github.spencerpark.jupyter.messages.publish.PublishUpdateDisplayData;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The running cell's outputs: System.out/err as stream messages and display messages, all
 * sent to the request that is executing. Stream text goes through the cell's
 * {@link OutputLimit} and the {@link StreamPump}; {@link #flush} keeps it ahead of what the
 * cell shows next. Output after the cell ended has nowhere to go and is dropped, as in IJava.
 */
final class CellIO {
    private final StreamPump pump = new StreamPump();
    private final OutputLimit limit;
    final PrintStream out = new PrintStream(new TextOutputStream(text -> emit(StreamPump.Stream.STDOUT, text)), false, StandardCharsets.UTF_8);
    final PrintStream err = new PrintStream(new TextOutputStream(text -> emit(StreamPump.Stream.STDERR, text)), false, StandardCharsets.UTF_8);
    private volatile ShellReplyEnvironment env;
    private volatile StreamPump.Sink sink;
    private boolean noticeGiven;
    private PrintStream savedOut;
    private PrintStream savedErr;

    CellIO(OutputLimit limit) {
        this.limit = limit;
    }

    synchronized void attach(ShellReplyEnvironment env) {
        this.env = env;
        this.sink = (stream, text) -> send(env, new PublishStream(
                stream == StreamPump.Stream.STDERR ? PublishStream.StreamType.ERR : PublishStream.StreamType.OUT, text));
        limit.reset();
        noticeGiven = false;
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(out);
        System.setErr(err);
    }

    /** Returns once the cell's text so far has been sent. */
    void flush() {
        out.flush();
        err.flush();
        pump.flush();
    }

    /**
     * Ends the cell's output before its result, error and reply: the truncation notice if
     * text was cut, and everything sent. Text printed later (by threads the cell started)
     * still counts until {@link #detach}.
     */
    void endOutput() {
        synchronized (this) {
            if (sink != null && limit.truncated() && !noticeGiven) {
                pump.write(sink, StreamPump.Stream.STDERR, limit.truncatedNotice());
                noticeGiven = true;
            }
        }
        flush();
    }

    void detach(ShellReplyEnvironment env) {
        if (this.env != env) return;
        endOutput();
        synchronized (this) {
            System.setOut(savedOut);
            System.setErr(savedErr);
            this.env = null;
            this.sink = null;
        }
    }

    private synchronized void emit(StreamPump.Stream stream, String text) {
        StreamPump.Sink target = sink;
        if (target == null) return;
        boolean wasTruncated = limit.truncated();
        String shown = limit.admit(text);
        if (!shown.isEmpty()) pump.write(target, stream, shown);
        if (!wasTruncated && limit.truncated()) pump.write(target, StreamPump.Stream.STDERR, limit.limitReachedNotice());
    }

    void display(DisplayData data) {
        ShellReplyEnvironment e = env;
        if (e == null) return;
        flush(); // keep text printed before the display above it
        send(e, new PublishDisplayData(data));
    }

    void updateDisplay(DisplayData data) {
        ShellReplyEnvironment e = env;
        if (e != null) send(e, new PublishUpdateDisplayData(data));
    }

    /** Clears the cell's output; with {@code wait}, only when the next output arrives (no flicker). */
    void clearOutput(boolean wait) {
        ShellReplyEnvironment e = env;
        if (e == null) return;
        flush();
        send(e, wait ? PublishClearOutput.BEFORE_NEXT_OUTPUT : PublishClearOutput.NOW);
    }

    /**
     * Straight to the IOPub socket, not through {@code env.publish}: the environment's defer
     * switch is shared with the shell thread, which may be about to defer its reply.
     */
    private static <T extends ContentType<T>> void send(ShellReplyEnvironment env, T content) {
        env.getIopub().sendMessage(new Message<>(env.getContext(), content.getType(), content));
    }
}
