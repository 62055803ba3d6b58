package dev.tunelab.kernel;

import java.util.ArrayDeque;
import java.util.Objects;

/**
 * Sends stdout/stderr text as few, larger stream messages from one thread of its own.
 *
 * <p>One message per {@code println} floods the client: ZeroMQ drops IOPub messages past its
 * high-water mark, so a cell printing 10,000 lines lost a third of them and its {@code idle}
 * status. Here text waits until {@link #CHUNK_CHARS} have gathered or the oldest waiting text
 * is {@link #LINGER_MILLIS} old, then goes out as one message. Writers wait while
 * {@link #CAPACITY_CHARS} are waiting or in flight: that is the back-pressure which, with an
 * IOPub socket that blocks instead of dropping ({@link Main}), lets nothing be lost. Waiting
 * in {@link Object#wait} keeps a writer stoppable by an interrupt of the cell.
 */
final class StreamPump {
    static final int CHUNK_CHARS = 32 * 1024;
    static final int CAPACITY_CHARS = 1024 * 1024;
    static final long LINGER_MILLIS = 50;

    enum Stream { STDOUT, STDERR }

    /** Where a piece of text goes; the pump calls it from its own thread. */
    interface Sink {
        void send(Stream stream, String text);
    }

    private record Chunk(Sink sink, Stream stream, StringBuilder text, long bornNanos) {}

    private final int chunkChars;
    private final int capacityChars;
    private final long lingerNanos;
    private final ArrayDeque<Chunk> waiting = new ArrayDeque<>();
    private long pendingChars; // waiting or being sent
    private long written;      // characters accepted so far
    private long sent;         // characters handed to a sink so far
    private long flushTarget;  // send without lingering up to here
    private final Thread sender;

    StreamPump() {
        this(CHUNK_CHARS, CAPACITY_CHARS, LINGER_MILLIS);
    }

    StreamPump(int chunkChars, int capacityChars, long lingerMillis) {
        this.chunkChars = chunkChars;
        this.capacityChars = capacityChars;
        this.lingerNanos = lingerMillis * 1_000_000;
        sender = new Thread(this::sendLoop, "tunelab-output");
        sender.setDaemon(true);
        sender.start();
    }

    /** Queues {@code text} for {@code sink}; waits while the pump is full. */
    synchronized void write(Sink sink, Stream stream, String text) {
        Objects.requireNonNull(sink);
        if (text.isEmpty()) return;
        boolean interrupted = false;
        while (pendingChars >= capacityChars) interrupted |= waitForChange();
        if (interrupted) Thread.currentThread().interrupt(); // the cell's code may look at the flag
        Chunk last = waiting.peekLast();
        if (last != null && last.sink == sink && last.stream == stream && last.text.length() < chunkChars) {
            last.text.append(text);
        } else {
            waiting.addLast(new Chunk(sink, stream, new StringBuilder(text), System.nanoTime()));
        }
        pendingChars += text.length();
        written += text.length();
        notifyAll();
    }

    /** Returns once everything written before this call has been sent. */
    synchronized void flush() {
        if (Thread.currentThread() == sender) return; // a sink that prints must not wait on itself
        long target = written;
        flushTarget = Math.max(flushTarget, target);
        notifyAll();
        boolean interrupted = false;
        while (sent < target) interrupted |= waitForChange();
        if (interrupted) Thread.currentThread().interrupt();
    }

    private void sendLoop() {
        while (true) {
            Chunk chunk = next();
            try {
                chunk.sink.send(chunk.stream, chunk.text.toString());
            } catch (Throwable e) {
                // a closed connection, a broken client, even an OutOfMemoryError: this text is
                // lost, but the pump goes on, or every writer and flush would wait forever
            }
            synchronized (this) {
                pendingChars -= chunk.text.length();
                sent += chunk.text.length();
                notifyAll();
            }
        }
    }

    /** The next chunk to send, once it is full, old enough or flushed. */
    private synchronized Chunk next() {
        while (true) {
            Chunk first = waiting.peekFirst();
            if (first == null) {
                waitForChange();
                continue;
            }
            long dueIn = first.bornNanos + lingerNanos - System.nanoTime();
            boolean ready = waiting.size() > 1 // a later chunk exists, so this one is complete
                    || first.text.length() >= chunkChars
                    || sent < flushTarget          // it holds text that a flush waits for
                    || dueIn <= 0;
            if (ready) return waiting.pollFirst();
            try {
                wait(Math.max(1, dueIn / 1_000_000));
            } catch (InterruptedException e) {
                // nothing interrupts the pump's thread on purpose; keep sending
            }
        }
    }

    /**
     * Waits for a notify; returns whether the wait was interrupted. Output is not given up on
     * an interrupt (the cell's code owns the flag), so the caller waits again and restores it.
     */
    private boolean waitForChange() {
        try {
            wait();
            return false;
        } catch (InterruptedException e) {
            return true;
        }
    }
}
