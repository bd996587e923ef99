package dev.ferry.report;

import dev.ferry.accounting.RunAccount;
import dev.ferry.sqlload.ColumnMapping;
import dev.ferry.sqlload.ColumnType;
import dev.ferry.sqlload.LoadBatch;
import dev.ferry.sqlload.RowHasher;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns parsed report rows into typed, hashed rows for the table, or into rejects that name the line, the column
 * and the reason. Nothing is dropped: every row comes out either converted or rejected.
 */
public final class RowConverter {

    private final ColumnMapping mapping;
    private final RowHasher hasher;
    private final int reportColumns;
    private final LoadBatch.Columns columns;

    public RowConverter(ColumnMapping mapping, RowHasher hasher) {
        this.mapping = mapping;
        this.hasher = hasher;
        this.reportColumns = mapping.reportColumns().size();
        this.columns = new LoadBatch.Columns(mapping);
    }

    /** Converts a batch and counts its rows as read: a row is read once it is in a batch that will be accounted for. */
    public LoadBatch convert(List<ReportRow> rows, RunAccount run) {
        ReportStoppingException.throwIfStopped(run, "the rest of the report was not loaded");
        if (run != null) {
            run.read(rows.size());
        }
        return convertRows(rows, run);
    }

    public LoadBatch convert(List<ReportRow> rows) {
        return convertRows(rows, null);
    }

    private LoadBatch convertRows(List<ReportRow> rows, RunAccount run) {
        List<LoadBatch.Row> converted = new ArrayList<>(rows.size());
        List<LoadBatch.Reject> rejects = new ArrayList<>();
        RowHasher.Digester digester = hasher.digester();
        for (ReportRow row : rows) {
            String problem = null;
            Object[] values = new Object[mapping.columns().size()];
            if (row.values().length != reportColumns) {
                problem = row.values().length + " fields, expected " + reportColumns;
            } else {
                for (int i = 0; i < reportColumns && problem == null; i++) {
                    ColumnMapping.Column column = mapping.columns().get(i);
                    String raw = row.values()[i];
                    if (!column.loaded()) {
                        continue;
                    }
                    if (raw == null || raw.isEmpty()) {
                        if (column.required()) {
                            problem = "column " + column.reportColumn() + ": required value missing";
                        } else {
                            // An empty text stays an empty text; an empty number, date or flag is no value.
                            values[i] = column.type() instanceof ColumnType.TextType ? "" : null;
                        }
                        continue;
                    }
                    try {
                        values[i] = column.type().convert(raw);
                    } catch (ColumnType.ConversionException e) {
                        problem = "column " + column.reportColumn() + ": " + e.getMessage();
                    }
                }
            }
            if (problem == null) {
                converted.add(new LoadBatch.Row(columns, values, digester.hash(values), row));
            } else {
                rejects.add(new LoadBatch.Reject(row.line(), row.rawLine(), "line " + row.line() + ", " + problem, "convert"));
            }
        }
        return new LoadBatch(columns, converted, rejects, run);
    }
}
