package dev.tunelab.track;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * Retries a call with exponential backoff and jitter: waits start at {@code initial}, double up
 * to {@code max}, and each is stretched by a random 0-25% (protocol note sections 3 and 6) so
 * that many clients do not retry in step. Gives up after {@code giveUpAfter} of retrying.
 */
final class Backoff {
    interface Call<T> {
        T call() throws WandbException;
    }

    private final Duration initial;
    private final Duration max;
    private final Duration giveUpAfter;
    private final BooleanSupplier cancelled;

    Backoff(Duration initial, Duration max, Duration giveUpAfter, BooleanSupplier cancelled) {
        this.initial = initial;
        this.max = max;
        this.giveUpAfter = giveUpAfter;
        this.cancelled = cancelled;
    }

    /** The wait before retry number {@code attempt} (0-based), jitter included. */
    Duration delay(int attempt) {
        double base = Math.min(initial.toNanos() * Math.pow(2, Math.min(attempt, 62)), (double) max.toNanos());
        return Duration.ofNanos((long) (base * (1 + 0.25 * ThreadLocalRandom.current().nextDouble())));
    }

    /** Runs {@code call} until it succeeds, fails in a way retrying cannot mend, or time runs out. */
    <T> T run(String what, Call<T> call) throws WandbException {
        long deadline = System.nanoTime() + giveUpAfter.toNanos();
        for (int attempt = 0; ; attempt++) {
            try {
                return call.call();
            } catch (WandbException e) {
                if (!e.retryable()) {
                    throw e;
                }
                long wait = Math.max(delay(attempt).toNanos(), RetryAfter.nanos(e));
                if (cancelled.getAsBoolean() || System.nanoTime() + wait > deadline) {
                    throw new WandbException(what + " still failing after " + (attempt + 1) + " attempts: "
                            + e.getMessage(), e.status(), false, e);
                }
                try {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new WandbException(what + " interrupted while waiting to retry", e.status(), false, e);
                }
            }
        }
    }

    /** A server-requested wait (RateLimit-Reset on a 429), carried by the exception. */
    static final class RetryAfter extends RuntimeException {
        final long nanos;

        RetryAfter(long nanos) {
            super(null, null, false, false);
            this.nanos = nanos;
        }

        static long nanos(WandbException e) {
            for (Throwable s : e.getSuppressed()) {
                if (s instanceof RetryAfter r) {
                    return r.nanos;
                }
            }
            return 0;
        }
    }
}
