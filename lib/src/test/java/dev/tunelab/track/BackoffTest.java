package dev.tunelab.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
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
}
