package dev.tunelab.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The resident set size of this process (Linux): heap, native libraries and every tensor PyTorch holds. */
public final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {}

    /** VmRSS of /proc/self/status, in bytes. */
    public static long residentBytes() {
        try {
            return vmRssBytes(Files.readAllLines(STATUS), STATUS.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(STATUS + " is not readable (RSS is measured on Linux only)", e);
        }
    }

    /** The {@code VmRSS:  123456 kB} line of a /proc status file, in bytes. */
    static long vmRssBytes(List<String> statusLines, String source) {
        for (int i = 0; i < statusLines.size(); i++) {
            String line = statusLines.get(i);
            if (!line.startsWith("VmRSS:")) {
                continue;
            }
            String[] parts = line.substring("VmRSS:".length()).trim().split("\\s+");
            if (parts.length != 2 || !parts[1].equals("kB") || !parts[0].matches("\\d+")) {
                throw new IllegalStateException(source + " line " + (i + 1) + ": expected 'VmRSS: <number> kB', got '"
                        + line + "'");
            }
            return Long.parseLong(parts[0]) * 1024;
        }
        throw new IllegalStateException(source + ": no VmRSS line (is this a Linux /proc status file?)");
    }
}
