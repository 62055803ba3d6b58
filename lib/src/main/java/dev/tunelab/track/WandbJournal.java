package dev.tunelab.track;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tunelab.io.AtomicFiles;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A run's W&amp;B journal, {@code <run>/wandb/journal.jsonl}: every record the W&amp;B sink was
 * given (the run's identity, config changes, history and summary lines, console lines, files,
 * the exit), one JSON object per line, appended and flushed. The sender works through it in order
 * and keeps its place in {@code state.json}; {@code sync} replays from that place. Because
 * file_stream offsets are counted from the journal, a replay re-sends the same offsets and
 * cannot duplicate rows. The API key is never written here.
 */
final class WandbJournal implements Closeable {
    static final String DIR = "wandb";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One journal line: its number (from 0), its length in bytes with the newline, its content. */
    record Entry(long seq, int bytes, ObjectNode json) {
        String type() {
            return json.path("type").asText();
        }
    }

    private final Path file;
    private final Path stateFile;
    private OutputStream out;
    private long records;

    private WandbJournal(Path dir) throws IOException {
        Files.createDirectories(dir);
        this.file = dir.resolve("journal.jsonl");
        this.stateFile = dir.resolve("state.json");
        dropTornTail();
        this.records = countLines();
    }

    /** Opens (or creates) the journal of the run in {@code runDir}. */
    static WandbJournal open(Path runDir) {
        try {
            return new WandbJournal(runDir.resolve(DIR));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the W&B journal in " + runDir.resolve(DIR), e);
        }
    }

    static boolean exists(Path runDir) {
        return Files.exists(runDir.resolve(DIR).resolve("journal.jsonl"));
    }

    Path file() {
        return file;
    }

    synchronized long records() {
        return records;
    }

    /** Appends a record and flushes it to the operating system (a killed JVM keeps it). */
    synchronized Entry append(ObjectNode json) throws IOException {
        byte[] line = (JSON.writeValueAsString(json) + "\n").getBytes(StandardCharsets.UTF_8);
        if (out == null) {
            out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        out.write(line);
        out.flush();
        return new Entry(records++, line.length, json);
    }

    /**
     * Reads up to {@code max} records starting with record {@code seq}, which begins at byte
     * {@code position} (the caller tracks positions by adding up {@link Entry#bytes()}).
     */
    List<Entry> read(long seq, long position, int max) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            in.skipNBytes(position);
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while (entries.size() < max && (b = in.read()) >= 0) {
                if (b != '\n') {
                    line.write(b);
                    continue;
                }
                String text = line.toString(StandardCharsets.UTF_8);
                ObjectNode json;
                try {
                    json = (ObjectNode) JSON.readTree(text);
                } catch (IOException | ClassCastException e) {
                    throw new IOException(file + " line " + (seq + entries.size() + 1)
                            + ": expected one JSON object per line (" + e.getMessage() + ")", e);
                }
                entries.add(new Entry(seq + entries.size(), line.size() + 1, json));
                line.reset();
            }
        }
        return entries;
    }

    /** The byte position where record {@code seq} starts. */
    long positionOf(long seq) throws IOException {
        long pos = 0;
        long line = 0;
        if (seq == 0) {
            return 0;
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            int b;
            while ((b = in.read()) >= 0) {
                pos++;
                if (b == '\n' && ++line == seq) {
                    return pos;
                }
            }
        }
        throw new IOException(file + " has " + line + " records, fewer than the " + seq + " its state.json says were sent");
    }

    WandbState readState() {
        try {
            return Files.exists(stateFile) ? JSON.readValue(stateFile.toFile(), WandbState.class) : new WandbState();
        } catch (IOException e) {
            throw new UncheckedIOException(stateFile + ": not a W&B sender state (" + e.getMessage() + ")", e);
        }
    }

    void writeState(WandbState state) throws IOException {
        AtomicFiles.writeString(stateFile, JSON.writeValueAsString(state));
    }

    @Override
    public synchronized void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // every line was flushed as it was written
            }
            out = null;
        }
    }

    /** A process killed mid-write leaves a line without its newline: cut it off. */
    private void dropTornTail() throws IOException {
        if (!Files.exists(file) || Files.size(file) == 0) {
            return;
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            long end = raf.length();
            long keep = end;
            while (keep > 0) {
                raf.seek(keep - 1);
                if (raf.read() == '\n') {
                    break;
                }
                keep--;
            }
            if (keep != end) {
                raf.setLength(keep);
            }
        }
    }

    private long countLines() throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        long n = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            int b;
            while ((b = in.read()) >= 0) {
                if (b == '\n') {
                    n++;
                }
            }
        }
        return n;
    }
}
