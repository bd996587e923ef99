package dev.ferry.sqlload;

import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

import javax.sql.DataSource;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads one batch of rows per exchange into a table, in one transaction: duplicates (same content hash in
 * {@code row_hash}) skipped by the database, rows the database refuses isolated and written to the rejects table
 * with its message, exact counts. The table and the rejects table are shaped as the report-to-sql migrations create
 * them (the table's columns plus {@code row_hash} and {@code run_id}).
 *
 * <p>Body: a {@link LoadBatch} (report-to-sql's converted rows, which carry their columns and hashes), or, standalone,
 * a {@code List<Map<String, Object>>} of table column to value, checked and converted with {@link #setColumns columns}.
 * Nothing connects to the database before the first batch.
 */
@UriEndpoint(scheme = "ferry-sql-load", title = "Ferry SQL load", syntax = "ferry-sql-load:table", producerOnly = true,
        category = {Category.DATABASE}, headersClass = SqlLoadEndpoint.Headers.class)
public final class SqlLoadEndpoint extends DefaultEndpoint {

    /** The headers a load sets on the exchange: what this batch did. */
    public static final class Headers {
        @Metadata(description = "Rows of the batch inserted", javaType = "long")
        public static final String WRITTEN = "FerrySqlWritten";
        @Metadata(description = "Rows of the batch already in the table (same row_hash), not inserted again", javaType = "long")
        public static final String DUPLICATE = "FerrySqlDuplicate";
        @Metadata(description = "Rows of the batch written to the rejects table instead (conversion, transform or database refused them)", javaType = "long")
        public static final String REJECTED = "FerrySqlRejected";
        @Metadata(description = "Standalone (no ferryRun on the exchange): the run_id the batch's rows and rejects carry, new per batch", javaType = "String")
        public static final String RUN_ID = "FerrySqlRunId";

        private Headers() {
        }
    }

    @UriPath(description = "The target table (optionally schema.table)")
    @Metadata(required = true)
    private final String table;
    @UriParam(description = "The rejects table (run_id, line_number, raw_line, reason, stage), written in the batch's transaction")
    @Metadata(required = true)
    private String rejectsTable;
    @UriParam(label = "advanced", description = "The database: a registry reference such as #ferryDataSource (default: the component's, autowired)")
    private DataSource dataSource;
    @UriParam(defaultValue = "auto", enums = "auto,copy,insert",
            description = "auto: COPY into a staging table on PostgreSQL, batched INSERT ... WHERE NOT EXISTS elsewhere; copy: PostgreSQL only; insert: batched inserts everywhere")
    private String method = "auto";
    @UriParam(description = "Standalone bodies (lists of maps) only: the table's columns, table_column:type[:required] separated by ';'"
            + " (types as ferry.report-to-sql.columns: text(n), integer, decimal(p,s), timestamp(pattern, zone), boolean)")
    private String columns;
    @UriParam(description = "Standalone bodies only: the columns whose values identify a row (its row_hash), separated by ','; default all")
    private String keyColumns;

    private volatile BatchWriter.Method loadMethod;
    private volatile MapRows mapRows;
    private volatile boolean tableChecked;
    private final Map<LoadBatch.Columns, BatchWriter> writers = new ConcurrentHashMap<>();

    SqlLoadEndpoint(String uri, SqlLoadComponent component, String table) {
        super(uri, component);
        this.table = table;
    }

    @Override
    protected void doInit() throws Exception {
        super.doInit();
        if (!table.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?")) {
            throw new IllegalArgumentException("ferry-sql-load:" + table + ": the table must be a plain SQL name (optionally schema.table)");
        }
        if (rejectsTable == null || !rejectsTable.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?")) {
            throw new IllegalArgumentException("ferry-sql-load:" + table + " needs rejectsTable=<table> (a plain SQL name):"
                    + " a row the database refuses is written there, never dropped");
        }
        if (dataSource == null) {
            throw new IllegalArgumentException("ferry-sql-load:" + table + " has no DataSource: name one (dataSource=#bean)"
                    + " or bind exactly one in the registry");
        }
        try {
            loadMethod = BatchWriter.Method.valueOf(method.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ferry-sql-load:" + table + " method must be auto, copy or insert, not " + method);
        }
        if (columns != null && !columns.isBlank()) {
            try {
                mapRows = parseColumns();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("ferry-sql-load:" + table + " columns/keyColumns: " + e.getMessage(), e);
            }
        }
    }

    /** The list-of-maps converter from the columns and keyColumns options. */
    private MapRows parseColumns() {
        // the same entries as ferry.report-to-sql.columns, each column its own source: "name:type" -> "name = name:type"
        ColumnMapping mapping = ColumnMapping.parse(Arrays.stream(columns.split(";")).filter(s -> !s.isBlank())
                .map(c -> c.trim().split(":", 2)[0].trim() + " = " + c.trim())
                .reduce((a, b) -> a + "; " + b).orElse(""));
        List<String> keys = keyColumns == null ? List.of()
                : Arrays.stream(keyColumns.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        return new MapRows(mapping, new RowHasher(mapping, keys));
    }

    /**
     * Before the first batch (not at start: the database may be down then): the table exists and its row_hash is
     * binary. A misspelt table would otherwise make every row a reject ("table not found") instead of failing.
     */
    void checkTableOnce() throws java.sql.SQLException {
        if (!tableChecked) {
            synchronized (this) {
                if (!tableChecked) {
                    dev.ferry.sql.Migrations.requireBinaryHash(dataSource, table);
                    tableChecked = true;
                }
            }
        }
    }

    /** The writer for rows of these columns (one per converter, built once: statements are prepared text). */
    BatchWriter writer(LoadBatch.Columns rowColumns) {
        return writers.computeIfAbsent(rowColumns,
                c -> new BatchWriter(dataSource, c.mapping(), table, new RejectsWriter(rejectsTable), loadMethod));
    }

    MapRows listOfMaps() {
        return mapRows;
    }

    String table() {
        return table;
    }

    @Override
    public Producer createProducer() {
        return new SqlLoadProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("ferry-sql-load writes to a table (to:), it is not a consumer (from:)");
    }

    public String getTable() { return table; }
    public String getRejectsTable() { return rejectsTable; }
    public void setRejectsTable(String rejectsTable) { this.rejectsTable = rejectsTable; }
    public DataSource getDataSource() { return dataSource; }
    public void setDataSource(DataSource dataSource) { this.dataSource = dataSource; }
    public String getMethod() { return method; }
    public void setMethod(String method) { this.method = method; }
    public String getColumns() { return columns; }
    public void setColumns(String columns) { this.columns = columns; }
    public String getKeyColumns() { return keyColumns; }
    public void setKeyColumns(String keyColumns) { this.keyColumns = keyColumns; }
}
