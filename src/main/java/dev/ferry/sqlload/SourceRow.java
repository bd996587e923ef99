package dev.ferry.sqlload;

/**
 * Where a row to load came from, for its reject: the line (or position) in the source and the row as text. A report
 * row of report-to-sql, or a map of a standalone {@code ferry-sql-load:} body.
 */
public interface SourceRow {

    long line();

    /** Where the row is, as a reject's reason begins: {@code line 12} of a report, {@code row 3} of a list. */
    default String where() {
        return "line " + line();
    }

    /** The row as the source had it, written to the rejects table's raw_line. */
    String rawLine();
}
