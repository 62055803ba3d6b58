package dev.tunelab.kernel;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StreamPumpTest {
    record Sent(StreamPump.Stream stream, String text) {}

    /** Records what the pump sends. */
    static final class Recorder implements StreamPump.Sink {
        final List<Sent> sent = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void send(StreamPump.Stream stream, String text) {
            sent.add(new Sent(stream, text));
        }

        String text() {
            StringBuilder b = new StringBuilder();
            synchronized (sent) {
                sent.forEach(s -> b.append(s.text));
            }
            return b.toString();
        }
    }

    @Test void manyLinesGoOutInFewMessagesAndNoneIsLost() {
        StreamPump pump = new StreamPump();
        Recorder sink = new Recorder();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 100_000; i++) {
            String line = "line " + i + "\n";
            pump.write(sink, StreamPump.Stream.STDOUT, line);
            expected.append(line);
        }
        pump.flush();
        assertEquals(expected.toString(), sink.text());
        assertTrue(sink.sent.size() < 200, sink.sent.size() + " messages");
    }

    @Test void stdoutAndStderrKeepTheirOrder() {
        StreamPump pump = new StreamPump();
        Recorder sink = new Recorder();
        pump.write(sink, StreamPump.Stream.STDOUT, "a");
        pump.write(sink, StreamPump.Stream.STDERR, "b");
        pump.write(sink, StreamPump.Stream.STDOUT, "c");
        pump.flush();
        assertEquals(List.of(new Sent(StreamPump.Stream.STDOUT, "a"), new Sent(StreamPump.Stream.STDERR, "b"),
                new Sent(StreamPump.Stream.STDOUT, "c")), sink.sent);
    }

    @Test void textGoesOutWithoutAFlushAfterTheLinger() throws Exception {
        StreamPump pump = new StreamPump(1024, 4096, 20);
        CountDownLatch arrived = new CountDownLatch(1);
        pump.write((stream, text) -> arrived.countDown(), StreamPump.Stream.STDOUT, "progress\n");
        assertTrue(arrived.await(5, TimeUnit.SECONDS));
    }

    @Test void aWriterWaitsWhileTheClientIsBehind() throws Exception {
        StreamPump pump = new StreamPump(10, 100, 1);
        CountDownLatch release = new CountDownLatch(1);
        Recorder recorder = new Recorder();
        StreamPump.Sink slow = (stream, text) -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            recorder.send(stream, text);
        };
        CountDownLatch done = new CountDownLatch(1);
        Thread writer = new Thread(() -> {
            for (int i = 0; i < 100; i++) pump.write(slow, StreamPump.Stream.STDOUT, "0123456789");
            done.countDown();
        });
        writer.start();
        assertFalse(done.await(500, TimeUnit.MILLISECONDS), "1,000 characters do not fit in 100 while nothing is sent");
        release.countDown();
        assertTrue(done.await(10, TimeUnit.SECONDS));
        pump.flush();
        assertEquals("0123456789".repeat(100), recorder.text());
    }

    @Test void aCharacterSplitAcrossWritesArrivesWhole() {
        List<String> pieces = new ArrayList<>();
        TextOutputStream out = new TextOutputStream(pieces::add);
        byte[] bytes = "é😀".getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, 1);
        out.write(bytes, 1, 3);
        out.write(bytes, 4, bytes.length - 4);
        assertEquals("é😀", String.join("", pieces));
        assertTrue(pieces.stream().noneMatch(p -> p.contains("\uFFFD")), pieces.toString());
    }

    @Test void printlnThroughTheStreamIsText() {
        List<String> pieces = new ArrayList<>();
        PrintStream print = new PrintStream(new TextOutputStream(pieces::add), true, StandardCharsets.UTF_8);
        print.println("grüße");
        print.printf("%d%n", 42);
        assertEquals("grüße\n42\n", String.join("", pieces).replace(System.lineSeparator(), "\n"));
    }
}
