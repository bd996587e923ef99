package dev.ferry.sql;

import dev.ferry.report.ReportRow;

import java.util.List;

/**
 * One batch on its way to the database: the rows that converted (with their hash) and the rows rejected at
 * conversion. Both go to the database in the same transaction, so a batch is accounted for all or nothing.
 */
public record LoadBatch(List<Row> rows, List<Reject> rejects) {

    /**
     * A converted row: values in mapping order (skipped columns are null), its content hash ({@link RowHasher}, 16
     * bytes), its source. Both arrays make the record's {@code equals} an identity check: compare hashes with
     * {@link java.util.Arrays#equals(byte[], byte[])}.
     */
    public record Row(Object[] values, byte[] hash, ReportRow source) {
        public long line() {
            return source.line();
        }
    }

    /** A rejected row and why; {@code stage} is {@code convert} or {@code database}. */
    public record Reject(long line, String rawLine, String reason, String stage) {
    }

    public int size() {
        return rows.size() + rejects.size();
    }
}
