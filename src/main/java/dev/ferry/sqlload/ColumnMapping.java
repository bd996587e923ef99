package dev.ferry.sqlload;

import java.util.ArrayList;
import java.util.List;

/**
 * Report columns to table columns, in the report's header order, parsed from
 * {@code ferry.report-to-sql.columns}: entries separated by {@code ;}, each
 * {@code ReportColumn = table_column : type [: required]}, e.g.
 * {@code Quantity = quantity : integer : required; Notes = notes : text(2000)}.
 * An entry without a report column ({@code = plant_line : text(20)}) is a derived column: not in the report, empty
 * until the route's transform sets it ({@code ferry-records:set?field=plant_line&value=...}); derived columns come
 * after the report's, and are not part of a row's content hash (they are computed from it).
 * {@code ferry-sql-load}'s {@code columns} option for list-of-map bodies is the same without the report side (each
 * column's source name is its table name).
 */
public record ColumnMapping(List<Column> columns) {

    public record Column(String reportColumn, String tableColumn, ColumnType type, boolean required) {
        public boolean loaded() {
            return !(type instanceof ColumnType.Skip);
        }

        /** Not in the report: set by the route's transform. */
        public boolean derived() {
            return reportColumn.isEmpty();
        }
    }

    public static ColumnMapping parse(String text) {
        List<Column> columns = new ArrayList<>();
        for (String entry : text.split(";")) {
            if (entry.isBlank()) {
                continue;
            }
            int eq = entry.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("'" + entry.trim() + "' is not ReportColumn = table_column : type");
            }
            String reportColumn = entry.substring(0, eq).trim();
            String[] parts = entry.substring(eq + 1).split(":(?![^(]*\\))"); // a colon inside (...) belongs to the type
            if (parts.length < 2 || parts.length > 3) {
                throw new IllegalArgumentException("'" + entry.trim() + "' is not ReportColumn = table_column : type [: required]");
            }
            String table = parts[0].trim();
            if (!table.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException("table column '" + table + "' must be a plain SQL identifier");
            }
            boolean required = parts.length == 3;
            if (required && !parts[2].trim().equals("required")) {
                throw new IllegalArgumentException("'" + parts[2].trim() + "' in '" + entry.trim() + "': only 'required' may follow the type");
            }
            Column column = new Column(reportColumn, table, ColumnType.parse(parts[1]), required);
            if (!column.derived() && columns.stream().anyMatch(Column::derived)) {
                throw new IllegalArgumentException("'" + entry.trim() + "' follows a derived column (= table_column : type):"
                        + " derived columns come after the report's columns");
            }
            if (column.derived() && !column.loaded()) {
                throw new IllegalArgumentException("'" + entry.trim() + "': a derived column cannot be skip");
            }
            columns.add(column);
        }
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("no columns mapped");
        }
        List<Column> fromReport = columns.stream().filter(c -> !c.derived()).toList();
        if (fromReport.isEmpty()) {
            throw new IllegalArgumentException("no report columns mapped");
        }
        if (fromReport.stream().map(Column::reportColumn).distinct().count() != fromReport.size()) {
            throw new IllegalArgumentException("a report column is mapped twice");
        }
        if (columns.stream().filter(Column::loaded).map(Column::tableColumn).distinct().count()
                != columns.stream().filter(Column::loaded).count()) {
            throw new IllegalArgumentException("a table column is mapped twice");
        }
        return new ColumnMapping(List.copyOf(columns));
    }

    /** The header the report must send, in order (derived columns are not in it). */
    public List<String> reportColumns() {
        return columns.stream().filter(c -> !c.derived()).map(Column::reportColumn).toList();
    }

    public List<Column> loadedColumns() {
        return columns.stream().filter(Column::loaded).toList();
    }
}
