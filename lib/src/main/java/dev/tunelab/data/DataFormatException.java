package dev.tunelab.data;

import java.nio.file.Path;

/**
 * A data file that cannot be read as asked: names the file, where in it (line, and for a JSON
 * array the element index), the field when one is to blame, and the problem. For example
 * {@code train.jsonl:17: field "output": missing}.
 */
public class DataFormatException extends RuntimeException {
    private final transient Path file;
    private final long line;
    private final int element;
    private final String field;
    private final String problem;
    private final long row;

    /**
     * @param line 1-based line number, 0 when unknown
     * @param element 0-based element index in a JSON array, -1 when the file is not an array
     * @param field the field to blame as the file names it (nested: {@code messages[2].role}), or null
     */
    public DataFormatException(Path file, long line, int element, String field, String problem) {
        this(format(file, line, element, field, problem), file, line, element, 0, field, problem);
    }

    private DataFormatException(String message, Path file, long line, int element, long row, String field, String problem) {
        super(message);
        this.file = file;
        this.line = line;
        this.element = element;
        this.row = row;
        this.field = field;
        this.problem = problem;
    }

    /**
     * A bad row of a columnar file (Parquet), which has no lines: {@code train.parquet: row 17:
     * field "output": missing}.
     *
     * @param row 1-based row number in the file
     */
    public static DataFormatException atRow(Path file, long row, String field, String problem) {
        String message = file + ": row " + row + ": " + (field != null ? "field \"" + field + "\": " : "") + problem;
        return new DataFormatException(message, file, 0, -1, row, field, problem);
    }

    static String format(Path file, long line, int element, String field, String problem) {
        var s = new StringBuilder(String.valueOf(file));
        if (element >= 0) {
            s.append(": element ").append(element);
            if (line > 0) s.append(" (line ").append(line).append(')');
        } else if (line > 0) {
            s.append(':').append(line);
        }
        s.append(": ");
        if (field != null) s.append("field \"").append(field).append("\": ");
        return s.append(problem).toString();
    }

    public Path file() {
        return file;
    }

    /** 1-based line number, 0 when unknown. */
    public long line() {
        return line;
    }

    /** 1-based row of a Parquet file, 0 for other files. */
    public long row() {
        return row;
    }

    /** 0-based index in a JSON array, -1 for other files. */
    public int element() {
        return element;
    }

    /** The field to blame, or null. */
    public String field() {
        return field;
    }

    /** The problem alone, without the location. */
    public String problem() {
        return problem;
    }
}
