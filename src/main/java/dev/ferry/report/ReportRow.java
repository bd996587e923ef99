package dev.ferry.report;

import dev.ferry.sqlload.SourceRow;
import org.apache.commons.csv.CSVFormat;

import java.util.Arrays;

/**
 * One data record of the report as parsed: its first line number in the response body (the header is line 1) and
 * its fields. Records that span lines (a quoted field with a line break) keep the line where they start.
 */
public record ReportRow(long line, String[] values) implements SourceRow {

    /** The record as CSV text again, for the rejects table (the parser keeps no raw bytes; re-encoding is exact for
     *  the values, quoting may differ from the source). */
    @Override
    public String rawLine() {
        return CSVFormat.RFC4180.format((Object[]) values);
    }

    @Override
    public String toString() {
        return "line " + line + ": " + Arrays.toString(values);
    }
}
