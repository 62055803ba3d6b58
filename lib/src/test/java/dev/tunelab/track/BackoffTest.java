package dev.tunelab.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void delaysDoubleFromTheFirstUpToTheCapWithAtMostAQuarterOfJitter() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofMinutes(10), () -> false);
        double[] base = {1, 2, 4, 8, 16, 32, 60, 60, 60}; // seconds: 2^n capped at 60
        for (int n = 0; n < base.length; n++) {
            for (int k = 0; k < 200; k++) {
                double d = b.delay(n).toNanos() / 1e9;
                assertTrue(d >= base[n] && d <= base[n] * 1.25, "attempt " + n + ": " + d);
            }
        }
        assertEquals(60 * 1.25, b.delay(10_000).toNanos() / 1e9, 60 * 0.25); // no overflow far out
    }

    @Test
    void retriesWhatMayMendStopsAtWhatCannotAndGivesUpInTime() throws Exception {
        Backoff b = new Backoff(Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofSeconds(5), () -> false);
        AtomicInteger calls = new AtomicInteger();
        assertEquals("ok", b.run("call", () -> {
            if (calls.incrementAndGet() < 4) {
                throw new WandbException("HTTP 503", 503, true, null);
            }
            return "ok";
        }));
        assertEquals(4, calls.get());

        calls.set(0);
        WandbException bad = assertThrows(WandbException.class, () -> b.run("call", () -> {
            calls.incrementAndGet();
            throw new WandbException("HTTP 401", 401, false, null);
        }));
        assertEquals(1, calls.get());
        assertTrue(bad.badKey());

        Backoff quick = new Backoff(Duration.ofMillis(5), Duration.ofMillis(5), Duration.ofMillis(40), () -> false);
        long start = System.nanoTime();
        WandbException gaveUp = assertThrows(WandbException.class, () -> quick.run("file_stream", () -> {
            throw new WandbException("HTTP 500", 500, true, null);
        }));
        assertFalse(gaveUp.retryable());
        assertTrue(gaveUp.getMessage().startsWith("file_stream still failing after"), gaveUp.getMessage());
        assertTrue((System.nanoTime() - start) / 1e6 < 2000);
    }

    @Test
    void aRateLimitResetFromTheServerIsWaitedOut() throws Exception {
        Backoff b = new Backoff(Duration.ofMillis(1), Duration.ofMillis(1), Duration.ofSeconds(5), () -> false);
        AtomicInteger calls = new AtomicInteger();
        long start = System.nanoTime();
        b.run("call", () -> {
            if (calls.incrementAndGet() == 1) {
                WandbException e = new WandbException("HTTP 429", 429, true, null);
                e.addSuppressed(new Backoff.RetryAfter(150_000_000L)); // RateLimit-Reset: 0.15
                throw e;
            }
            return null;
        });
        assertTrue((System.nanoTime() - start) / 1e6 >= 150, "waited less than the server asked");
    }

    @Test
    void theFinishWakesAWaitingRetryAndLaterWaitsMustFitItsBudget() throws Exception {
        // a 10 s first wait: only the finish can make this call retry soon
        Backoff b = new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofMinutes(10), () -> false);
        AtomicInteger calls = new AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Throwable> outcome = new java.util.concurrent.atomic.AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                b.run("file_stream", () -> {
                    calls.incrementAndGet();
                    throw new WandbException("HTTP 500", 500, true, null);
                });
            } catch (WandbException e) {
                outcome.set(e);
            }
        });
        caller.start();
        while (calls.get() == 0) {
            Thread.sleep(1);
        }
        Thread.sleep(50); // now waiting out the 10 s
        long start = System.nanoTime();
        b.finishBy(Duration.ofMillis(600)); // waits from 30 ms: 30, 60, 120, 240 fit, 480 does not
        caller.join(5_000);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertFalse(caller.isAlive());
        WandbException e = (WandbException) outcome.get();
        assertEquals(WandbException.GaveUp.FINISH_BUDGET, e.gaveUp());
        assertFalse(e.retryable());
        assertEquals(500, e.status());
        assertTrue(calls.get() >= 4 && calls.get() <= 6, calls.get() + " calls"); // the first, one at once, then the short waits
        assertTrue(millis < 600 + 1000, "gave up after " + millis + " ms");
    }

    @Test
    void aCallThatRecoversDuringTheFinishReturnsAndTheFirstFailureIsReportedOnce() throws Exception {
        List<WandbException> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        Backoff b = new Backoff(Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofSeconds(5), () -> false)
                .onFirstFailure(reported::add);
        b.finishBy(Duration.ofSeconds(5));
        AtomicInteger calls = new AtomicInteger();
        for (int round = 0; round < 3; round++) {
            calls.set(0);
            assertEquals("ok", b.run("call", () -> {
                if (calls.incrementAndGet() < 3) {
                    throw new WandbException("HTTP 503", 503, true, null);
                }
                return "ok";
            }));
        }
        assertEquals(1, reported.size());
        assertEquals("HTTP 503", reported.get(0).getMessage());
        // retrying for giveUpAfter is a different reason to stop than the finish budget
        Backoff quick = new Backoff(Duration.ofMillis(5), Duration.ofMillis(5), Duration.ofMillis(40), () -> false);
        WandbException e = assertThrows(WandbException.class, () -> quick.run("call", () -> {
            throw new WandbException("reset", 0, true, null);
        }));
        assertEquals(WandbException.GaveUp.RETRIES, e.gaveUp());
        // a final refusal was not given up on: it was never retried
        assertEquals(null, assertThrows(WandbException.class, () -> quick.run("call", () -> {
            throw new WandbException("HTTP 403", 403, false, null);
        })).gaveUp());
    }

    @Test
    void aWaitTheServerAskedForIsKeptWhenTheFinishWakesTheRetry() throws Exception {
        Backoff b = new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMinutes(1), () -> false);
        AtomicInteger calls = new AtomicInteger();
        long[] secondCallAt = new long[1];
        Thread caller = new Thread(() -> {
            try {
                b.run("call", () -> {
                    if (calls.incrementAndGet() == 1) {
                        WandbException e = new WandbException("HTTP 429", 429, true, null);
                        e.addSuppressed(new Backoff.RetryAfter(400_000_000L)); // RateLimit-Reset: 0.4
                        throw e;
                    }
                    secondCallAt[0] = System.nanoTime();
                    return null;
                });
            } catch (WandbException e) {
                throw new AssertionError(e);
            }
        });
        long start = System.nanoTime();
        caller.start();
        while (calls.get() == 0) {
            Thread.sleep(1);
        }
        b.finishBy(Duration.ofSeconds(3));
        caller.join(5_000);
        assertEquals(2, calls.get());
        long millis = (secondCallAt[0] - start) / 1_000_000;
        assertTrue(millis >= 400 && millis < 3000, "retried after " + millis + " ms");
    }
}
