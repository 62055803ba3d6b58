package dev.tunelab.track;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The hand-over from the training thread to the W&amp;B sender: a bounded in-memory queue of
 * journal records. Every record is on disk (in the journal) before it is queued, so when the
 * queue is full a record is simply not kept in memory ("spilled") and the sender reads it back
 * from the journal when its turn comes. Memory stays bounded however long the server is away.
 */
final class SpillQueue {
    private final WandbJournal journal;
    private final int capacity;
    private final ArrayDeque<WandbJournal.Entry> memory = new ArrayDeque<>();
    private long produced;   // records known to exist
    private long consumed;   // records handed to the sender
    private long position;   // byte position of record `consumed` in the journal
    private long spilled;
    private boolean closed;

    /** A queue whose sender starts at record {@code from}, which lies at byte {@code position}. */
    SpillQueue(WandbJournal journal, int capacity, long from, long position) {
        this.journal = journal;
        this.capacity = capacity;
        this.produced = journal.records();
        this.consumed = from;
        this.position = position;
    }

    /** Called after {@code entry} was appended to the journal. */
    synchronized void add(WandbJournal.Entry entry) {
        if (memory.size() < capacity) {
            memory.add(entry);
        } else {
            spilled++;
        }
        produced = entry.seq() + 1;
        notifyAll();
    }

    /** No more records will come; wakes the sender. */
    synchronized void close() {
        closed = true;
        notifyAll();
    }

    synchronized boolean closedAndDrained() {
        return closed && consumed == produced;
    }

    synchronized long spilled() {
        return spilled;
    }

    /** Waits up to {@code nanos} unless the queue is closed (the pause between file_stream posts). */
    synchronized void pause(long nanos) throws InterruptedException {
        long end = System.nanoTime() + nanos;
        while (!closed && System.nanoTime() < end) {
            long left = end - System.nanoTime();
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Up to {@code max} records in journal order, waiting up to {@code nanos} for the first one. */
    synchronized List<WandbJournal.Entry> take(int max, long nanos) throws InterruptedException, IOException {
        long end = System.nanoTime() + nanos;
        while (consumed == produced && !closed && System.nanoTime() < end) {
            wait(Math.max(1, (end - System.nanoTime()) / 1_000_000));
        }
        List<WandbJournal.Entry> out = new ArrayList<>();
        while (out.size() < max && consumed < produced) {
            while (!memory.isEmpty() && memory.peek().seq() < consumed) {
                memory.poll();
            }
            if (!memory.isEmpty() && memory.peek().seq() == consumed) {
                accept(memory.poll(), out);
            } else {
                // spilled: read the missing records back from the journal
                long upTo = memory.isEmpty() ? produced : memory.peek().seq();
                int n = (int) Math.min(max - out.size(), upTo - consumed);
                List<WandbJournal.Entry> read = journal.read(consumed, position, n);
                if (read.isEmpty()) {
                    throw new IOException(journal.file() + " ends before record " + consumed);
                }
                read.forEach(e -> accept(e, out));
            }
        }
        return out;
    }

    private void accept(WandbJournal.Entry e, List<WandbJournal.Entry> out) {
        out.add(e);
        consumed++;
        position += e.bytes();
    }
}
