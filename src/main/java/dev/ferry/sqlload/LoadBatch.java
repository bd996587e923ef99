package dev.ferry.sqlload;

import dev.ferry.accounting.RunAccount;
import dev.ferry.records.Record;
import dev.ferry.records.RecordBatch;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * One batch on its way to the database: the rows that converted (with their hash) and the rows rejected at
 * conversion. Both go to the database in the same transaction, so a batch is accounted for all or nothing.
 *
 * <p>It is also the body of report-to-sql's transform stage ({@link RecordBatch}): each row is a map of table
 * column name to typed value. A row the transform drops is counted filtered; one it dead-letters joins the rejects
 * (stage {@code transform}) with its reason.
 */
public final class LoadBatch implements RecordBatch<LoadBatch.Row> {

    private final Columns columns;
    private final List<Row> rows;
    private final List<Reject> rejects;
    private final RunAccount run;

    public LoadBatch(Columns columns, List<Row> rows, List<Reject> rejects, RunAccount run) {
        this.columns = columns;
        this.rows = rows;
        this.rejects = rejects;
        this.run = run;
    }

    /** The table's columns these rows have (also for a batch whose rows were all rejected). */
    public Columns columns() {
        return columns;
    }

    public List<Row> rows() {
        return rows;
    }

    public List<Reject> rejects() {
        return rejects;
    }

    @Override
    public List<Row> records() {
        return rows;
    }

    @Override
    public void filtered(Row row) {
        if (run != null) {
            run.filtered(1);
        }
    }

    @Override
    public void deadLetter(Row row, String reason) {
        rejects.add(new Reject(row.line(), row.source().rawLine(), row.source().where() + ", " + reason, "transform"));
    }

    /** Rows and rejects together: what this batch accounts for. */
    @Override
    public int size() {
        return rows.size() + rejects.size();
    }

    @Override
    public String toString() {
        return "LoadBatch[" + rows.size() + " row(s), " + rejects.size() + " reject(s)]";
    }

    /** The table's columns by name, shared by every row of a load. */
    public static final class Columns {
        private final ColumnMapping mapping;
        private final Map<String, Integer> index = new HashMap<>();
        private final List<String> names = new ArrayList<>();

        public ColumnMapping mapping() {
            return mapping;
        }

        public Columns(ColumnMapping mapping) {
            this.mapping = mapping;
            for (int i = 0; i < mapping.columns().size(); i++) {
                ColumnMapping.Column c = mapping.columns().get(i);
                if (c.loaded()) {
                    index.put(c.tableColumn(), i);
                    names.add(c.tableColumn());
                }
            }
        }

        int indexOf(String name) {
            Integer i = index.get(name);
            if (i == null) {
                throw new IllegalArgumentException("the table has no column " + name + " (columns: " + names
                        + "; a new one is a derived column in ferry.report-to-sql.columns: = " + name + " : type)");
            }
            return i;
        }
    }

    /**
     * A converted row: values in mapping order (skipped columns are null), its content hash ({@link RowHasher}, 16
     * bytes, of the row as converted from the report: a transform's changes do not make a reloaded row new), its
     * source. As a {@link Record}, its fields are the table's columns; a value set there is converted to the
     * column's type (a text "12" into an integer column becomes 12; one that does not convert is an error naming the
     * column, and the row is rejected).
     */
    public static final class Row implements Record {
        private final Columns columns;
        private final Object[] values;
        private final byte[] hash;
        private final SourceRow source;
        private Map<String, Object> fields;

        public Row(Columns columns, Object[] values, byte[] hash, SourceRow source) {
            this.columns = columns;
            this.values = values;
            this.hash = hash;
            this.source = source;
        }

        public Object[] values() { return values; }
        public byte[] hash() { return hash; }
        public SourceRow source() { return source; }

        public long line() {
            return source.line();
        }

        @Override
        public Map<String, Object> fields() {
            if (fields == null) {
                fields = new RowFields();
            }
            return fields;
        }

        @Override
        public String where() {
            return source.where();
        }

        /** The row's values by table column, writing through to the row (converted to each column's type). */
        private final class RowFields extends AbstractMap<String, Object> {
            @Override
            public Object get(Object key) {
                Integer i = key instanceof String name ? columns.index.get(name) : null;
                return i == null ? null : values[i];
            }

            @Override
            public boolean containsKey(Object key) {
                return key instanceof String name && columns.index.containsKey(name);
            }

            @Override
            public Object put(String key, Object value) {
                int i = columns.indexOf(key);
                Object old = values[i];
                ColumnMapping.Column column = columns.mapping.columns().get(i);
                try {
                    values[i] = column.type().accept(value);
                } catch (ColumnType.ConversionException e) {
                    throw new IllegalArgumentException("column " + key + ": " + e.getMessage());
                }
                if (values[i] == null && column.required()) {
                    values[i] = old;
                    throw new IllegalArgumentException("column " + key + ": required value missing");
                }
                return old;
            }

            @Override
            public Object remove(Object key) {
                return key instanceof String name && columns.index.containsKey(name) ? put(name, null) : null;
            }

            @Override
            public Set<Entry<String, Object>> entrySet() {
                return new AbstractSet<>() {
                    @Override
                    public Iterator<Entry<String, Object>> iterator() {
                        Iterator<String> names = columns.names.iterator();
                        return new Iterator<>() {
                            @Override
                            public boolean hasNext() {
                                return names.hasNext();
                            }

                            @Override
                            public Entry<String, Object> next() {
                                if (!names.hasNext()) {
                                    throw new NoSuchElementException();
                                }
                                String name = names.next();
                                return new SimpleImmutableEntry<>(name, values[columns.index.get(name)]);
                            }
                        };
                    }

                    @Override
                    public int size() {
                        return columns.names.size();
                    }
                };
            }
        }
    }

    /** A rejected row and why; {@code stage} is {@code convert}, {@code transform} or {@code database}. */
    public record Reject(long line, String rawLine, String reason, String stage) {
    }
}
