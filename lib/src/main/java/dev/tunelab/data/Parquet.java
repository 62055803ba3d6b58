package dev.tunelab.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Properties;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Parquet files, the format of most data sets on the Hugging Face Hub, read and written through
 * DuckDB's JDBC driver (an in-process database; nothing is installed or downloaded). Each row
 * comes out of DuckDB as the JSON of its columns ({@code to_json}), so nested columns (a
 * {@code messages} list of {@code {role, content}} structs) reach the same {@link Format}s as
 * JSON Lines do, with the same field errors; the location is the file and the 1-based row.
 *
 * <p>Rows stream: {@link #stream} holds one batch of DuckDB's result (2,048 rows) at a time, not
 * the file; {@link #read} collects the stream into a {@link Dataset}.
 */
public final class Parquet {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Parquet() {}

    /** Every row of {@code files}, in order, as {@code format}'s examples. */
    public static <T extends Example> Dataset<T> read(List<Path> files, Format<T> format, LoadOptions options) {
        if (files.isEmpty()) throw new IllegalArgumentException("no Parquet files to read");
        Dataset<T> all = null;
        for (Path f : files) {
            Loader.Rows<T> rows = new Loader.Rows<>(f, options);
            try (Stream<T> s = stream(f, format, options, rows)) {
                s.forEach(rows.rows::add);
            }
            Dataset<T> d = new Dataset<>(Loader.name(f), rows.rows, rows.report());
            all = all == null ? d : all.concat(d);
        }
        return files.size() == 1 ? all : all.renamedTo(Loader.name(files.get(0)).replaceFirst("-\\d+-of-\\d+.*$", ""));
    }

    public static <T extends Example> Dataset<T> read(Path file, Format<T> format, LoadOptions options) {
        return read(List.of(file), format, options);
    }

    /**
     * The rows of {@code file} one at a time; close the stream (try-with-resources) to release the
     * file. A bad row throws {@link DataFormatException} naming the file, row and field, unless
     * {@code options} skip bad rows, which are then left out.
     */
    public static <T extends Example> Stream<T> stream(Path file, Format<T> format, LoadOptions options) {
        return stream(file, format, options, new Loader.Rows<>(file, options));
    }

    /**
     * The rows of several files (the shards of a split) one after the other; one file is open
     * at a time.
     */
    public static <T extends Example> Stream<T> stream(List<Path> files, Format<T> format, LoadOptions options) {
        ChainedRows<T> rows = new ChainedRows<>(files, f -> new FileRows<>(f, format, options, new Loader.Rows<>(f, options)));
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(rows, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(rows::close);
    }

    private static <T extends Example> Stream<T> stream(Path file, Format<T> format, LoadOptions options, Loader.Rows<T> rows) {
        FileRows<T> it = new FileRows<>(file, format, options, rows);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(it::close);
    }

    /** The rows of one file, read from DuckDB's streamed result a batch at a time. */
    private static final class FileRows<T extends Example> implements Iterator<T>, AutoCloseable {
        private final Path file;
        private final Format<T> format;
        private final LoadOptions options;
        private final Loader.Rows<T> rows;
        private final Map<String, String> columns;
        private final Connection connection;
        private final ResultSet result;
        private long row;
        private T next;

        FileRows(Path file, Format<T> format, LoadOptions options, Loader.Rows<T> rows) {
            this.file = file;
            this.format = format;
            this.options = options;
            this.rows = rows;
            this.columns = columns(file);
            this.connection = connect();
            try {
                Statement st = connection.createStatement();
                this.result = st.executeQuery("SELECT to_json(t) FROM read_parquet(" + literal(file) + ") t");
            } catch (SQLException e) {
                Parquet.close(connection);
                throw failure(file, e);
            }
        }

        @Override
        public boolean hasNext() {
            try {
                while (next == null && result.next()) {
                    row++;
                    next = parse(result.getString(1), row, file, format, options, rows, columns);
                }
                return next != null;
            } catch (SQLException e) {
                throw failure(file, e);
            }
        }

        @Override
        public T next() {
            if (!hasNext()) throw new NoSuchElementException();
            T t = next;
            next = null;
            return t;
        }

        @Override
        public void close() {
            Parquet.close(connection);
        }
    }

    /** Files opened one after another as the rows are read; closing closes the open one. */
    private static final class ChainedRows<T extends Example> implements Iterator<T>, AutoCloseable {
        private final Iterator<Path> files;
        private final java.util.function.Function<Path, FileRows<T>> open;
        private FileRows<T> current;

        ChainedRows(List<Path> files, java.util.function.Function<Path, FileRows<T>> open) {
            this.files = List.copyOf(files).iterator();
            this.open = open;
        }

        @Override
        public boolean hasNext() {
            while (current == null || !current.hasNext()) {
                if (current != null) {
                    current.close();
                    current = null;
                }
                if (!files.hasNext()) return false;
                current = open.apply(files.next());
            }
            return true;
        }

        @Override
        public T next() {
            if (!hasNext()) throw new NoSuchElementException();
            return current.next();
        }

        @Override
        public void close() {
            if (current != null) current.close();
        }
    }

    private static <T extends Example> T parse(String json, long row, Path file, Format<T> format, LoadOptions options,
            Loader.Rows<T> rows, Map<String, String> columns) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("DuckDB returned malformed JSON for row " + row + " of " + file, e);
        }
        try {
            return format.read(new Fields(node, options.mapping(), ""));
        } catch (Fields.BadField e) {
            // messages[0].role (read as ...) lives in the column "messages"
            String column = e.field.replaceFirst(" \\(read as .*$", "").split("[\\[.]", 2)[0];
            boolean nested = !column.equals(e.field.replaceFirst(" \\(read as .*$", ""));
            String type = columns.get(column);
            String problem;
            if (e.getMessage().equals("missing") && !nested) {
                problem = "missing: no such column; the file's columns are " + columns;
            } else if (type != null) {
                problem = e.getMessage() + (nested ? " (the column " + column + " is " + type + ")" : " (the column's type is " + type + ")");
            } else {
                problem = e.getMessage();
            }
            rows.badRow(row, e.field, problem);
            return null;
        }
    }

    /** The file's column names and DuckDB types ({@code VARCHAR}, {@code STRUCT(role VARCHAR, content VARCHAR)[]}, ...). */
    public static Map<String, String> columns(Path file) {
        requireFile(file);
        Map<String, String> out = new LinkedHashMap<>();
        try (Connection c = connect(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM read_parquet(" + literal(file) + ")")) {
            while (rs.next()) out.put(rs.getString("column_name"), rs.getString("column_type"));
        } catch (SQLException e) {
            throw failure(file, e);
        }
        return out;
    }

    /** The number of rows, from the file's footer (no row is read). */
    public static long rowCount(Path file) {
        requireFile(file);
        try (Connection c = connect(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT sum(num_rows) FROM parquet_file_metadata(" + literal(file) + ")")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw failure(file, e);
        }
    }

    /**
     * Writes JSON Lines {@code jsonl} (one object a line, as {@link Datasets#writeJsonl} writes)
     * as a Parquet file with zstd compression; nested values become lists and structs. Returns
     * {@code file}.
     */
    public static Path fromJsonl(Path jsonl, Path file) {
        requireFile(jsonl);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the folder of " + file, e);
        }
        try (Connection c = connect(); Statement st = c.createStatement()) {
            // sample_size=-1: column types are inferred from every row, not the first 20,480
            st.execute("COPY (SELECT * FROM read_json(" + literal(jsonl) + ", format='newline_delimited', sample_size=-1)) TO "
                    + literal(file) + " (FORMAT parquet, COMPRESSION zstd)");
        } catch (SQLException e) {
            throw new UncheckedIOException("cannot write " + file + " from " + jsonl + ": " + e.getMessage(), new IOException(e));
        }
        return file;
    }

    /** Runs one SQL statement on a fresh in-memory DuckDB (for tests and notebooks that build Parquet files). */
    public static void execute(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalArgumentException("DuckDB: " + e.getMessage() + " in: " + sql, e);
        }
    }

    // ------------------------------------------------------------------ DuckDB

    private static Connection connect() {
        Properties p = new Properties();
        p.setProperty("jdbc_stream_results", "true"); // fetch batches as they are read, not the whole result
        // Never download an extension at run time: Parquet and JSON are built into the driver.
        p.setProperty("autoinstall_known_extensions", "false");
        p.setProperty("autoload_known_extensions", "false");
        try {
            return DriverManager.getConnection("jdbc:duckdb:", p);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot start DuckDB (the duckdb_jdbc jar's native library for this platform; "
                    + "see duckdb.classifier in the parent pom): " + e.getMessage(), e);
        }
    }

    private static void close(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            throw new IllegalStateException("closing DuckDB: " + e.getMessage(), e);
        }
    }

    /** A SQL string literal of the path: single quotes doubled. */
    static String literal(Path file) {
        return "'" + file.toAbsolutePath().toString().replace("'", "''") + "'";
    }

    private static void requireFile(Path file) {
        if (!Files.isRegularFile(file)) throw new DataFormatException(file, 0, -1, null, "no such file");
    }

    private static DataFormatException failure(Path file, SQLException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        boolean notParquet = m.contains("magic bytes") || m.contains("too small") || m.contains("not a parquet file");
        return new DataFormatException(file, 0, -1, null, (notParquet ? "not a Parquet file: " : "cannot read Parquet: ") + m);
    }

    /** The names of {@code files} that end in {@code .parquet}, sorted (shard order). */
    static List<Path> sortedParquet(List<Path> files) {
        List<Path> out = new ArrayList<>();
        for (Path f : files) if (f.getFileName().toString().endsWith(".parquet")) out.add(f);
        out.sort(null);
        return out;
    }
}
