package dev.ferry.sqlload;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A standalone body, a list of maps of table column to value, as a {@link LoadBatch}: each value converted to its
 * column's type, hashed; a row with an unknown column, a missing required value or a value that does not convert
 * becomes a reject naming its position (row 1 is the list's first) and the column, never dropped.
 */
final class MapRows {

    private final ColumnMapping mapping;
    private final RowHasher hasher;
    private final LoadBatch.Columns columns;

    MapRows(ColumnMapping mapping, RowHasher hasher) {
        this.mapping = mapping;
        this.hasher = hasher;
        this.columns = new LoadBatch.Columns(mapping);
    }

    LoadBatch.Columns columns() {
        return columns;
    }

    LoadBatch convert(List<?> body) {
        List<LoadBatch.Row> rows = new ArrayList<>(body.size());
        List<LoadBatch.Reject> rejects = new ArrayList<>();
        RowHasher.Digester digester = hasher.digester();
        for (int n = 0; n < body.size(); n++) {
            MapRow source = new MapRow(n + 1, body.get(n));
            String problem = null;
            Object[] values = new Object[mapping.columns().size()];
            if (!(source.map instanceof Map<?, ?> map)) {
                problem = "not a map of column to value but " + (source.map == null ? "null" : source.map.getClass().getName());
            } else {
                for (Object key : map.keySet()) {
                    if (mapping.loadedColumns().stream().noneMatch(c -> c.tableColumn().equals(key))) {
                        problem = "no column " + key + " in " + mapping.loadedColumns().stream().map(ColumnMapping.Column::tableColumn).toList();
                        break;
                    }
                }
                for (int i = 0; i < values.length && problem == null; i++) {
                    ColumnMapping.Column column = mapping.columns().get(i);
                    try {
                        values[i] = column.type().accept(map.get(column.tableColumn()));
                        if (values[i] == null && column.required()) {
                            problem = "column " + column.tableColumn() + ": required value missing";
                        }
                    } catch (ColumnType.ConversionException e) {
                        problem = "column " + column.tableColumn() + ": " + e.getMessage();
                    }
                }
            }
            if (problem == null) {
                rows.add(new LoadBatch.Row(columns, values, digester.hash(values), source));
            } else {
                rejects.add(new LoadBatch.Reject(source.line(), source.rawLine(), source.where() + ", " + problem, "convert"));
            }
        }
        return new LoadBatch(columns, rows, rejects, null);
    }

    private record MapRow(long line, Object map) implements SourceRow {
        @Override
        public String where() {
            return "row " + line;
        }

        @Override
        public String rawLine() {
            return String.valueOf(map);
        }
    }
}
