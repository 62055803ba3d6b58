package dev.tunelab.track;

import static dev.tunelab.track.WandbSinkTest.KEY;
import static dev.tunelab.track.WandbSinkTest.range;
import static dev.tunelab.track.WandbSinkTest.steps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end of a run never waits long for W&amp;B: an unreachable or silent server costs at most the
 * finish budget (default 5 s), the first failure is reported while the run goes on, and whatever
 * was not sent is uploaded by sync later, each history row once. Timing bounds are generous (the
 * machine may be shared); they separate "the budget" from the old 120 s, not milliseconds.
 */
class WandbFinishTest {
    /** Slack over the finish budget for a loaded machine; far below the HTTP timeout (20 s). */
    private static final long SLACK_MILLIS = 3_000;
    private static final String RETRYING = "Retrying with backoff";

    @TempDir
    Path tmp;
    final List<String> logs = new CopyOnWriteArrayList<>(); // written by sender threads
    final List<MockWebServer> servers = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopServersAndCheckNoKey() throws IOException {
        for (MockWebServer s : servers) {
            s.shutdown();
        }
        WandbSinkTest.assertNoKey(tmp, logs);
    }

    /** Every setting at its default (backoff from 1 s, HTTP timeout 20 s, finish 5 s) but where it goes. */
    WandbSettings defaults(String url) {
        return WandbSettings.online(url, KEY).entity("team").project("proj").log(logs::add);
    }

    /** Fast retries, for syncing against a healthy server afterwards. */
    WandbSettings fast(String url) {
        return defaults(url).backoff(Duration.ofMillis(1), Duration.ofMillis(4)).giveUpAfter(Duration.ofSeconds(3))
                .streamInterval(Duration.ZERO);
    }

    FakeWandb server(FakeWandb fake) throws IOException {
        MockWebServer s = new MockWebServer();
        s.setDispatcher(fake);
        s.start();
        servers.add(s);
        fake.url = s.url("/").toString();
        return fake;
    }

    Run run(WandbSettings s, String name) {
        return Run.builder(name).runsDir(tmp.resolve("runs")).config(Map.of("lr", 0.001)).wandb(s).start();
    }

    /** Logs 25 rows, a file and a summary: what sync must deliver later. */
    static void train(Run run) {
        for (int step = 0; step < 25; step++) {
            run.log(step, Map.of("loss", 1.0 / (step + 1)));
        }
        run.saveFile("weights.bin", new byte[] {1, 2, 3});
        run.summary(Map.of("final_loss", 0.04));
    }

    static long finishMillis(Run run) {
        long start = System.nanoTime();
        run.finish(0);
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.println("WandbFinishTest: " + run.name() + ": finish() took " + millis + " ms"); // for the record
        return millis;
    }

    long count(String fragment) {
        return logs.stream().filter(l -> l.contains(fragment)).count();
    }

    void awaitLog(String fragment, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (count(fragment) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, count(fragment), logs.toString());
    }

    static boolean senderAlive(Run run) {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("tunelab-wandb-" + run.id()) && t.isAlive());
    }

    /** Sync to a healthy server delivers every row exactly once, the file, the summary and the exit. */
    void syncDeliversEverythingOnce(Run run) throws Exception {
        FakeWandb back = server(new FakeWandb(KEY));
        WandbSync.Result r = WandbSync.sync(run.dir(), fast(back.url));
        assertEquals(range(0, 25), steps(back.history));
        assertEquals(25, back.historyLinesSent(), "each row sent once");
        assertEquals(25, r.historyLines());
        assertTrue(r.complete());
        assertEquals(0, back.exitCode);
        assertTrue(back.summary.contains("\"final_loss\":0.04"), back.summary);
        assertEquals(1, back.requests("/upload/weights.bin").size());
        assertEquals(3, back.uploads.get("weights.bin").length);
        assertTrue(back.gaps.isEmpty(), back.gaps.toString());
    }

    @Test
    void anUnreachableServerWarnsAtItsFirstFailureAndCostsTheEndOfTheRunAtMostTheBudget() throws Exception {
        FakeWandb gone = server(new FakeWandb(KEY));
        servers.remove(0).shutdown(); // nothing listens there any more: connections are refused
        WandbSettings s = defaults(gone.url);
        assertEquals(Duration.ofSeconds(5), s.finishTimeout);
        Run run = run(s, "unreachable");
        train(run);
        // the warning comes while the run goes on, not at its end
        awaitLog(RETRYING, 10_000);
        assertTrue(logs.stream().anyMatch(l -> l.contains(RETRYING) && l.contains(run.dir().resolve("wandb").toString())),
                logs.toString());

        long millis = finishMillis(run);
        assertTrue(millis < s.finishTimeout.toMillis() + SLACK_MILLIS, "finish took " + millis + " ms");
        assertFalse(senderAlive(run));
        assertEquals(1, count(RETRYING), logs.toString());
        assertEquals(1, count("upload not done within 5 s"), logs.toString());
        assertEquals(0, count("upload stopped"), logs.toString());
        assertEquals(25, run.history().size()); // training went on locally

        syncDeliversEverythingOnce(run);
    }

    @Test
    void aSilentServerIsCancelledWhenTheBudgetIsSpentAndSyncSendsEverythingLater() throws Exception {
        FakeWandb silent = server(new FakeWandb(KEY));
        silent.silent = true; // reads each request, never answers
        WandbSettings s = defaults(silent.url);
        Run run = run(s, "silent");
        train(run);
        long millis = finishMillis(run);
        // the Viewer call would hang for the whole 20 s HTTP timeout; the budget cancels it
        assertTrue(millis < s.finishTimeout.toMillis() + SLACK_MILLIS, "finish took " + millis + " ms");
        assertFalse(senderAlive(run));
        assertEquals(1, count("upload not done"), logs.toString());
        assertEquals(0, count(RETRYING), logs.toString()); // cut off by the budget: one line says so, not two
        assertEquals(List.of("Viewer"), silent.requests.stream().map(FakeWandb::operation).toList());

        syncDeliversEverythingOnce(run);
    }

    @Test
    void aSilentServerIsReportedWhenTheFirstRequestTimesOut() throws Exception {
        FakeWandb silent = server(new FakeWandb(KEY));
        silent.silent = true;
        WandbSettings s = defaults(silent.url).httpTimeout(Duration.ofMillis(300));
        Run run = run(s, "timeout");
        run.log(0, Map.of("loss", 1.0));
        awaitLog(RETRYING, 10_000);
        assertTrue(logs.stream().anyMatch(l -> l.contains("Viewer failed") && l.contains("timeout")), logs.toString());
        long millis = finishMillis(run);
        assertTrue(millis < s.finishTimeout.toMillis() + SLACK_MILLIS, "finish took " + millis + " ms");
        assertEquals(1, count(RETRYING), logs.toString());
    }

    @Test
    void transient429And500sAtTheEndAreRetriedWithinTheBudget() throws Exception {
        FakeWandb flaky = server(new FakeWandb(KEY));
        flaky.fail("graphql", FakeWandb.RATE_LIMITED);
        flaky.fail("file_stream", FakeWandb.RATE_LIMITED, 500, FakeWandb.RESET);
        flaky.fail("upload", 503);
        WandbSettings s = defaults(flaky.url); // backoff from 1 s; at the end, from a twentieth of the budget
        Run run = run(s, "flaky");
        train(run);
        long millis = finishMillis(run);
        assertTrue(millis < s.finishTimeout.toMillis() + SLACK_MILLIS, "finish took " + millis + " ms");
        assertTrue(flaky.faults.values().stream().allMatch(java.util.Collection::isEmpty), flaky.faults.toString());
        assertEquals(range(0, 25), steps(flaky.history));
        assertEquals(0, flaky.exitCode);
        assertEquals("\u0001\u0002\u0003", new String(flaky.uploads.get("weights.bin"), StandardCharsets.ISO_8859_1));
        assertTrue(flaky.gaps.isEmpty(), flaky.gaps.toString());
        assertEquals(1, count(RETRYING), logs.toString()); // one warning, at the first 429
        assertEquals(0, count("upload not done") + count("upload stopped"), logs.toString());
    }

    @Test
    void aBatchGivenUpOnIsKeptForSyncNotCountedAsDropped() throws Exception {
        FakeWandb failing = server(new FakeWandb(KEY));
        Integer[] fiveHundreds = new Integer[200];
        java.util.Arrays.fill(fiveHundreds, 500);
        failing.fail("file_stream", fiveHundreds);
        WandbSettings s = fast(failing.url).giveUpAfter(Duration.ofMillis(200)).finishTimeout(Duration.ofMillis(500));
        Run run = run(s, "given-up");
        train(run);
        run.finish(0);
        assertTrue(failing.history.isEmpty());
        // a 500 retried until giveUpAfter is not a refusal: the rows stay in the journal, and sync sends them
        syncDeliversEverythingOnce(run);
    }
}
