package dev.ferry.sql;

import java.util.ArrayList;
import java.util.List;

/**
 * Report columns to table columns, in the report's header order, parsed from
 * {@code ferry.report-to-sql.columns}: entries separated by {@code ;}, each
 * {@code ReportColumn = table_column : type [: required]}, e.g.
 * {@code Quantity = quantity : integer : required; Notes = notes : text(2000)}.
 */
public record ColumnMapping(List<Column> columns) {

    public record Column(String reportColumn, String tableColumn, ColumnType type, boolean required) {
        public boolean loaded() {
            return !(type instanceof ColumnType.Skip);
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
            if (parts.length < 2 || parts.length > 3 || reportColumn.isEmpty()) {
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
            columns.add(new Column(reportColumn, table, ColumnType.parse(parts[1]), required));
        }
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("no columns mapped");
        }
        if (columns.stream().map(Column::reportColumn).distinct().count() != columns.size()) {
            throw new IllegalArgumentException("a report column is mapped twice");
        }
        return new ColumnMapping(List.copyOf(columns));
    }

    /** The header the report must send, in order. */
    public List<String> reportColumns() {
        return columns.stream().map(Column::reportColumn).toList();
    }

    public List<Column> loadedColumns() {
        return columns.stream().filter(Column::loaded).toList();
    }
}
