package dev.tunelab.track;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Retries a call with exponential backoff and jitter: waits start at {@code initial}, double up
 * to {@code max}, and each is stretched by a random 0-25% (protocol note sections 3 and 6) so
 * that many clients do not retry in step. Gives up after {@code giveUpAfter} of retrying.
 *
 * <p>Once the run finishes ({@link #finishBy}), every retry must fit in the finish budget: a
 * wait that would end after it is not started, the call gives up at once and the rest is left
 * to {@code sync}. A retry that is waiting when the run finishes is woken and tries again at
 * once (the server may be back), and from then on waits start at a twentieth of the budget, so
 * that four or five retries fit in it; a wait the server asked for (RateLimit-Reset) is still kept.
 */
final class Backoff {
    interface Call<T> {
        T call() throws WandbException;
    }

    private static final long NO_DEADLINE = Long.MAX_VALUE;

    private final Duration initial;
    private final Duration max;
    private final Duration giveUpAfter;
    private final BooleanSupplier cancelled;
    private final Object lock = new Object();
    private Consumer<WandbException> firstFailure = e -> { };
    private boolean failedBefore;
    /** System.nanoTime() by which the run's finish wants the calls done; NO_DEADLINE while it runs. */
    private volatile long finishDeadline = NO_DEADLINE;
    private volatile long finishInitialNanos;

    Backoff(Duration initial, Duration max, Duration giveUpAfter, BooleanSupplier cancelled) {
        this.initial = initial;
        this.max = max;
        this.giveUpAfter = giveUpAfter;
        this.cancelled = cancelled;
    }

    /** Called once, with the error, the first time any call fails in a way worth retrying. */
    Backoff onFirstFailure(Consumer<WandbException> action) {
        this.firstFailure = action;
        return this;
    }

    /** The run finished: from now on calls give up rather than wait past {@code budget} from now. */
    void finishBy(Duration budget) {
        synchronized (lock) {
            finishInitialNanos = Math.max(1, Math.min(initial.toNanos(), budget.toNanos() / 20));
            finishDeadline = System.nanoTime() + budget.toNanos();
            lock.notifyAll(); // a retry waiting now tries again at once
        }
    }

    boolean finishing() {
        return finishDeadline != NO_DEADLINE;
    }

    /** The wait before retry number {@code attempt} (0-based), jitter included. */
    Duration delay(int attempt) {
        return Duration.ofNanos(delay(attempt, initial.toNanos()));
    }

    private long delay(int attempt, long first) {
        double base = Math.min(first * Math.pow(2, Math.min(attempt, 62)), (double) max.toNanos());
        return (long) (base * (1 + 0.25 * ThreadLocalRandom.current().nextDouble()));
    }

    /** Runs {@code call} until it succeeds, fails in a way retrying cannot mend, or time runs out. */
    <T> T run(String what, Call<T> call) throws WandbException {
        long giveUp = System.nanoTime() + giveUpAfter.toNanos();
        boolean finishing = finishing();
        int attempt = 0;
        for (int tries = 1; ; tries++) {
            if (cancelled.getAsBoolean()) { // no new call once the sender was told to stop
                throw new WandbException(what + " not sent: the upload was cancelled", 0, false, null,
                        WandbException.GaveUp.RETRIES);
            }
            try {
                return call.call();
            } catch (WandbException e) {
                if (!e.retryable()) {
                    throw e;
                }
                noteFailure(e);
                if (!finishing && finishing()) { // the run finished during this call: short waits from here
                    finishing = true;
                    attempt = 0;
                }
                long now = System.nanoTime();
                long serverWait = RetryAfter.nanos(e);
                long wait = Math.max(delay(attempt, finishing ? finishInitialNanos : initial.toNanos()), serverWait);
                long deadline = finishing ? Math.min(giveUp, finishDeadline) : giveUp;
                if (cancelled.getAsBoolean() || now + wait > deadline) {
                    throw gaveUp(what, tries, e, finishing && finishDeadline <= giveUp && !cancelled.getAsBoolean());
                }
                if (sleep(now + wait, finishing)) {
                    // woken by the finish: try again now, or once the server's own wait is over
                    finishing = true;
                    attempt = 0;
                    if (serverWait > 0 && !sleepOutServerWait(now + serverWait, giveUp)) {
                        throw gaveUp(what, tries, e, finishDeadline <= giveUp);
                    }
                    continue;
                }
                attempt++;
            }
        }
    }

    private void noteFailure(WandbException e) {
        if (!failedBefore) {
            failedBefore = true;
            firstFailure.accept(e);
        }
    }

    /**
     * Waits until {@code until}. Unless {@code wasFinishing}, the run's finish cuts the wait short
     * (also a finish that began just before this call): then true.
     */
    private boolean sleep(long until, boolean wasFinishing) throws WandbException {
        synchronized (lock) {
            long left;
            while ((left = until - System.nanoTime()) > 0 && finishing() == wasFinishing) {
                try {
                    lock.wait(left / 1_000_000, (int) (left % 1_000_000));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new WandbException("interrupted while waiting to retry", 0, false, ie,
                            WandbException.GaveUp.RETRIES);
                }
            }
        }
        return !wasFinishing && finishing();
    }

    /** After a wake-up by the finish, keeps the wait the server asked for if it fits; false if not. */
    private boolean sleepOutServerWait(long until, long giveUp) throws WandbException {
        if (until > Math.min(giveUp, finishDeadline)) {
            return false;
        }
        sleep(until, true);
        return true;
    }

    private static WandbException gaveUp(String what, int tries, WandbException last, boolean finishBudget) {
        String message = what + " still failing after " + tries + (tries == 1 ? " attempt: " : " attempts: ")
                + last.getMessage();
        return new WandbException(message, last.status(), false, last,
                finishBudget ? WandbException.GaveUp.FINISH_BUDGET : WandbException.GaveUp.RETRIES);
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
