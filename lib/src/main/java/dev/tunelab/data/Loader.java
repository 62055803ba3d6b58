package dev.tunelab.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/** Reads JSON arrays, JSON Lines and plain text into rows, validating as it goes. */
final class Loader {
    // One object per line: anything after it on the line is an error.
    private static final ObjectMapper LINE = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    // Elements of an array are read one at a time from a shared parser: no trailing check.
    private static final ObjectMapper ARRAY = new ObjectMapper();

    private Loader() {}

    /** What to do with the text after the last delimiter of a text file. */
    enum Tail { KEEP, DROP }

    /** Rows and the running report; in strict mode the first bad row throws. */
    static final class Rows<T> {
        final Path file;
        final LoadOptions opt;
        final List<T> rows = new ArrayList<>();
        final List<String> errors = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        int skipped;

        Rows(Path file, LoadOptions opt) {
            this.file = file;
            this.opt = opt;
        }

        void bad(long line, int element, String field, String problem) {
            var e = new DataFormatException(file, line, element, field, problem);
            if (!opt.skip()) throw e;
            skipped++;
            if (errors.size() < opt.maxReported()) errors.add(e.getMessage());
        }

        /** A bad row of a columnar file, located by its 1-based row number. */
        void badRow(long row, String field, String problem) {
            var e = DataFormatException.atRow(file, row, field, problem);
            if (!opt.skip()) throw e;
            skipped++;
            if (errors.size() < opt.maxReported()) errors.add(e.getMessage());
        }

        LoadReport report() {
            return new LoadReport(file.getFileName().toString(), rows.size(), skipped, errors, notes);
        }
    }

    static <T extends Example> Dataset<T> json(Path file, Format<T> format, LoadOptions opt) {
        try (InputStream in = open(file)) {
            Rows<T> rows = new Rows<>(file, opt);
            if (firstByte(in) == '[') {
                readArray(in, format, rows);
            } else {
                readLines(in, format, rows);
            }
            return new Dataset<>(name(file), rows.rows, rows.report());
        } catch (IOException e) {
            throw io(file, e);
        }
    }

    private static <T extends Example> void readLines(InputStream in, Format<T> format, Rows<T> rows) throws IOException {
        var lines = new LineReader(in, rows.opt.maxLineBytes());
        for (LineReader.Line line; (line = lines.next()) != null; ) {
            if (line.problem() != null) {
                rows.bad(line.number(), -1, null, line.problem());
                continue;
            }
            if (line.text().isBlank()) continue;
            JsonNode node;
            try {
                node = LINE.readTree(line.text());
            } catch (JsonProcessingException e) {
                rows.bad(line.number(), -1, null, "malformed JSON at column " + e.getLocation().getColumnNr()
                        + ": " + e.getOriginalMessage());
                continue;
            }
            T row = read(node, format, rows, line.number(), -1);
            if (row != null) rows.rows.add(row);
        }
    }

    private static <T extends Example> void readArray(InputStream in, Format<T> format, Rows<T> rows) throws IOException {
        int element = 0;
        long line = 1;
        // Decoded as UTF-8 (RFC 8259), as the JSON Lines path is: Jackson's own detection would read
        // bytes like 5b 00 00 00 as UTF-32 and fail with an I/O error instead of naming the problem.
        var utf8 = new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
        try (JsonParser p = ARRAY.createParser(utf8)) {
            p.nextToken(); // '['
            for (JsonToken t; (t = p.nextToken()) != JsonToken.END_ARRAY; element++) {
                if (t == null) throw new DataFormatException(rows.file, p.currentLocation().getLineNr(), element, null,
                        "the file ends inside the JSON array (truncated?)");
                line = p.currentTokenLocation().getLineNr();
                JsonNode node = p.readValueAsTree();
                T row = read(node, format, rows, line, element);
                if (row != null) rows.rows.add(row);
            }
            if (p.nextToken() != null) {
                throw new DataFormatException(rows.file, p.currentTokenLocation().getLineNr(), -1, null,
                        "content after the end of the JSON array");
            }
        } catch (CharacterCodingException e) {
            throw new DataFormatException(rows.file, line, element, null, "invalid UTF-8 after the element's start"
                    + " (JSON files must be UTF-8)");
        } catch (JsonProcessingException e) {
            // A syntax error leaves no reliable place to resume, so even skip mode stops here.
            throw new DataFormatException(rows.file, e.getLocation() == null ? line : e.getLocation().getLineNr(), element, null,
                    "malformed JSON: " + e.getOriginalMessage()
                            + (e.getOriginalMessage().contains("end-of-input") ? " (the file ends inside the JSON array: truncated?)" : "")
                            + (rows.opt.skip() ? " (a syntax error inside a JSON array cannot be skipped)" : ""));
        }
    }

    private static <T extends Example> T read(JsonNode node, Format<T> format, Rows<T> rows, long line, int element) {
        if (!node.isObject()) {
            rows.bad(line, element, null, "expected a JSON object, got " + Fields.describe(node));
            return null;
        }
        try {
            return format.read(new Fields(node, rows.opt.mapping(), ""));
        } catch (Fields.BadField e) {
            rows.bad(line, element, e.field, e.getMessage());
            return null;
        }
    }

    /**
     * Documents separated by {@code delimiter} (anywhere in a line), or by blank lines when it is
     * null. Each document is stripped of surrounding whitespace; empty ones are left out.
     */
    static Dataset<TextDocument> text(Path file, String delimiter, Tail tail, LoadOptions opt) {
        Rows<TextDocument> rows = new Rows<>(file, opt.skipping(false)); // a bad line breaks a document: never skip
        Pattern split = delimiter == null ? null : Pattern.compile(Pattern.quote(delimiter));
        var doc = new StringBuilder();
        boolean sawDelimiter = false;
        try (var lines = new LineReader(open(file), opt.maxLineBytes())) {
            for (LineReader.Line line; (line = lines.next()) != null; ) {
                if (line.problem() != null) rows.bad(line.number(), -1, null, line.problem());
                String text = line.text();
                if (split == null) {
                    if (text.isBlank()) {
                        add(rows.rows, doc);
                    } else {
                        doc.append(text).append('\n');
                    }
                    continue;
                }
                String[] parts = split.split(text, -1);
                for (int i = 0; i < parts.length - 1; i++) {
                    doc.append(parts[i]);
                    add(rows.rows, doc);
                    sawDelimiter = true;
                }
                doc.append(parts[parts.length - 1]).append('\n');
            }
        } catch (IOException e) {
            throw io(file, e);
        }
        String rest = doc.toString().strip();
        if (split != null && tail == Tail.DROP && !rest.isEmpty()) {
            rows.notes.add(file.getFileName() + ": dropped the " + rest.length() + " characters after the last " + delimiter
                    + (sawDelimiter ? "" : " (the file has none)") + ": a document cut off at the end of the file");
        } else {
            add(rows.rows, doc);
        }
        return new Dataset<>(name(file), rows.rows, rows.report());
    }

    private static void add(List<TextDocument> docs, StringBuilder doc) {
        String s = doc.toString().strip();
        if (!s.isEmpty()) docs.add(new TextDocument(s));
        doc.setLength(0);
    }

    /** The file's bytes, decompressed when its name ends in .gz. */
    static InputStream open(Path file) throws IOException {
        InputStream in;
        try {
            in = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new DataFormatException(file, 0, -1, null, "no such file");
        }
        if (file.getFileName().toString().endsWith(".gz")) {
            try {
                in = new GZIPInputStream(in, 1 << 16);
            } catch (IOException e) {
                in.close();
                throw new DataFormatException(file, 0, -1, null, "not a gzip file: " + e.getMessage());
            }
        }
        return new BufferedInputStream(in, 1 << 16);
    }

    /**
     * The first byte after a byte-order mark and whitespace, or -1; nothing is consumed, so
     * line numbers stay right.
     */
    private static int firstByte(InputStream in) throws IOException {
        int limit = 1 << 20;
        in.mark(limit);
        try {
            for (int i = 0; i < limit; i++) {
                int b = in.read();
                boolean bom = i < 3 && (b == 0xef || b == 0xbb || b == 0xbf);
                if (b < 0 || !(bom || b == ' ' || b == '\n' || b == '\r' || b == '\t')) return b;
            }
            return ' ';
        } finally {
            in.reset();
        }
    }

    static String name(Path file) {
        String n = file.getFileName().toString();
        return n.replaceFirst("\\.gz$", "").replaceFirst("\\.(jsonl|json|txt|parquet)$", "");
    }

    static RuntimeException io(Path file, IOException e) {
        return new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
}
