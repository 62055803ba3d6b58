package dev.tunelab.track;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Uploads a run that was tracked offline, or whose upload stopped (server away, bad key), from
 * its journal: {@code WandbSync.sync(Path.of("runs/<id>"), WandbSettings.fromEnvironment())}, or
 * from a shell: {@code java -cp <classpath> dev.tunelab.track.WandbSync runs/<id> [more runs]}.
 * It continues where the last upload stopped; sending a part twice is harmless because
 * file_stream offsets are line numbers fixed by the journal. Sync a run only after its process ended.
 *
 * <p>A command-line tool of the library, its only {@code main} (README, "Tracking, comparing,
 * sweeping"): {@code WandbSync <run folder>...} takes its settings from the environment
 * ({@code WANDB_API_KEY}, {@code WANDB_BASE_URL}, ...), prints a line per run, and exits with 0
 * when every run was synced, 1 when one was not, 2 without a run folder.
 */
public final class WandbSync {
    private WandbSync() {}

    /** What a sync did. */
    public record Result(String runUrl, long historyLines, long files, boolean complete) {}

    /**
     * Sends whatever of {@code runDir}'s journal the server has not acknowledged, then marks the
     * run finished with its exit code (a journal without an exit record, from a killed process,
     * is marked failed, exit code 1).
     */
    public static Result sync(Path runDir, WandbSettings settings) throws WandbException, IOException {
        if (!WandbJournal.exists(runDir)) {
            throw new IOException(runDir + " has no " + WandbJournal.DIR
                    + "/journal.jsonl: it was not tracked with W&B (set WANDB_MODE=offline or WANDB_API_KEY when running)");
        }
        if (settings.apiKey == null) {
            throw new IllegalStateException("no W&B API key: set WANDB_API_KEY or add the host to ~/.netrc");
        }
        try (WandbJournal journal = WandbJournal.open(runDir)) {
            WandbSender sender = new WandbSender(settings, journal, runDir, () -> false);
            try {
                return send(sender, journal, settings);
            } finally {
                sender.close();
            }
        }
    }

    /** Sends the journal from where the server's acknowledgements stopped, then completes the run. */
    private static Result send(WandbSender sender, WandbJournal journal, WandbSettings settings)
            throws WandbException, IOException {
        sender.begin();
        long seq = sender.state().records;
        long position = journal.positionOf(seq);
        while (true) {
            List<WandbJournal.Entry> entries = journal.read(seq, position, 1000);
            if (entries.isEmpty()) {
                break;
            }
            sender.process(entries);
            for (WandbJournal.Entry e : entries) {
                position += e.bytes();
            }
            seq += entries.size();
        }
        sender.completeIfUnfinished();
        WandbState s = sender.state();
        return new Result(WandbSettings.runUrl(settings.baseUrl, s.entity, s.project, s.run), s.history,
                s.stored.size(), s.complete);
    }

    /** {@code WandbSync <run folder>...}: settings from the environment; exit code 1 if any run failed. */
    public static void main(String[] args) {
        System.exit(run(args, WandbSettings.fromEnvironment(), System.out, System.err));
    }

    /** The command line's work: syncs each folder, reports each on a line, returns the exit code. */
    static int run(String[] args, WandbSettings settings, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println("usage: WandbSync <run folder> [<run folder>...]   (e.g. runs/20260101-120000-train-1a2b)");
            return 2;
        }
        int failed = 0;
        for (String dir : args) {
            try {
                Result r = sync(Path.of(dir), settings);
                out.println(dir + ": " + r.historyLines() + " history lines, " + r.files() + " files -> " + r.runUrl());
            } catch (WandbException | IOException | RuntimeException e) {
                failed++;
                err.println(dir + ": not synced: " + e.getMessage());
            }
        }
        return failed == 0 ? 0 : 1;
    }
}
