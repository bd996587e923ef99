package dev.ferry.sqlload;

import dev.ferry.accounting.RunAccount;

import org.postgresql.PGConnection;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * Writes one {@link LoadBatch} in one transaction: the rows with a single JDBC batch, duplicates skipped by the
 * database itself ({@code INSERT ... SELECT ... WHERE NOT EXISTS} on the hash, plus the unique index), and the rejects.
 * First the table is asked which of the batch's hashes it has ({@link #withoutKnownHashes}): those rows are
 * duplicates and are not sent, so a batch of rows loaded before costs one lookup instead of its writes (and while
 * lookups find little, as on a first load, most batches skip them: {@link #lookUpThisBatch}).
 *
 * <p>Statement shape: one row per statement, batched with {@code addBatch}, so a statement carries
 * columns + 3 parameters, far below SQL Server's 2,100, and no multi-row VALUES list (SQL Server caps those at
 * 1,000). Each statement's update count says exactly whether its row was inserted (1) or a duplicate (0).
 * On PostgreSQL, where one statement per row is the bottleneck (each is a round of planning and executing), a batch
 * is streamed with {@code COPY} into an unindexed session-local staging table and moved with one
 * {@code INSERT ... SELECT ... WHERE NOT EXISTS} on the hash; when that fails on a row, the batch goes again as
 * multi-row {@code INSERT ... VALUES (...), (...) ON CONFLICT (row_hash) DO NOTHING} of up to {@value #MULTI_ROW}
 * rows, split as below. Either way the update count is the number inserted and the rest of the rows are duplicates,
 * still exact.
 *
 * <p>When the batch fails on a row (a value the table refuses), it is rolled back to a savepoint and split in halves
 * until every bad row is alone; good rows are still written and each bad row becomes a reject with the database's
 * message. Connection-level and transient failures are not split: they propagate, the transaction rolls back, and
 * Camel redelivers the whole batch (idempotent, thanks to the hash). Counts reach the run only after the commit.
 */
public final class BatchWriter {

    /** Rows per multi-row statement on PostgreSQL (x 12 parameters, well below its 65,535). */
    static final int MULTI_ROW = 500;

    /**
     * Hashes per pre-check statement on databases other than PostgreSQL (one parameter each). On H2 2.4 an IN list's
     * cost grows faster than its length: 32,768 lookups took 1.4-2.5 s in lists of 128, 3.3-8.6 s in lists of 512
     * (and 8-42 s in lists of 1,024), against 2.3-6.4 s as single-row {@code NOT EXISTS} inserts (a busy machine).
     */
    static final int HASH_CHECK_CHUNK = 128;

    private final DataSource dataSource;
    private final ColumnMapping mapping;
    private final String insertSql;
    private final String multiRowColumns;
    private final String multiRowValues;
    private final RejectsWriter rejects;
    private final String createStageSql;
    private final String copySql;
    private final String moveStagedSql;
    private final String knownHashesPgSql;
    private final String knownHashesInListSql;
    private final Map<Integer, String> knownHashesInListSqlBySize = new ConcurrentHashMap<>();
    private volatile Boolean postgres;
    private final LongAdder isolatingBatches = new LongAdder();
    private final LongAdder knownRows = new LongAdder();
    private final LongAdder sentRows = new LongAdder();
    private final LongAdder lookups = new LongAdder();
    // Lookups that find little are skipped for a while (see lookUpThisBatch); reset at each new run.
    private final AtomicInteger lookupsToSkip = new AtomicInteger();
    private final AtomicInteger skipLength = new AtomicInteger();
    private volatile String lookupRun;

    /** How rows reach the table: {@code auto} is COPY on PostgreSQL and batched inserts elsewhere. */
    public enum Method { AUTO, COPY, INSERT }

    private final Method method;

    public BatchWriter(DataSource dataSource, ColumnMapping mapping, String targetTable, RejectsWriter rejects) {
        this(dataSource, mapping, targetTable, rejects, Method.AUTO);
    }

    public BatchWriter(DataSource dataSource, ColumnMapping mapping, String targetTable, RejectsWriter rejects, Method method) {
        this.method = method;
        this.dataSource = dataSource;
        this.mapping = mapping;
        this.rejects = rejects;
        List<ColumnMapping.Column> loaded = mapping.loadedColumns();
        String columns = loaded.stream().map(ColumnMapping.Column::tableColumn).collect(Collectors.joining(", "));
        String params = loaded.stream().map(c -> "?").collect(Collectors.joining(", "));
        // Valid T-SQL, PostgreSQL and H2: a SELECT without FROM, filtered by the hash.
        this.insertSql = "INSERT INTO " + targetTable + " (" + columns + ", row_hash, run_id) SELECT " + params
                + ", ?, ? WHERE NOT EXISTS (SELECT 1 FROM " + targetTable + " WHERE row_hash = ?)";
        this.multiRowColumns = "INSERT INTO " + targetTable + " (" + columns + ", row_hash, run_id) VALUES ";
        this.multiRowValues = "(" + params + ", ?, ?)";
        String stage = "ferry_stage_" + targetTable.replaceAll("\\W", "_");
        this.createStageSql = "CREATE TEMPORARY TABLE IF NOT EXISTS " + stage + " (LIKE " + targetTable
                + " INCLUDING DEFAULTS) ON COMMIT DELETE ROWS";
        this.copySql = "COPY " + stage + " (" + columns + ", row_hash, run_id) FROM STDIN";
        this.moveStagedSql = "INSERT INTO " + targetTable + " (" + columns + ", row_hash, run_id) SELECT " + columns
                + ", row_hash, run_id FROM " + stage + " s WHERE NOT EXISTS (SELECT 1 FROM " + targetTable
                + " x WHERE x.row_hash = s.row_hash)";
        this.knownHashesPgSql = "SELECT row_hash FROM " + targetTable + " WHERE row_hash = ANY (?)";
        this.knownHashesInListSql = "SELECT row_hash FROM " + targetTable + " WHERE row_hash IN (";
    }

    /** The PostgreSQL statement for {@code rows} rows. */
    String multiRowSql(int rows) {
        StringBuilder sql = new StringBuilder(multiRowColumns.length() + rows * (multiRowValues.length() + 2) + 40)
                .append(multiRowColumns);
        for (int i = 0; i < rows; i++) {
            sql.append(i == 0 ? "" : ", ").append(multiRowValues);
        }
        return sql.append(" ON CONFLICT (row_hash) DO NOTHING").toString();
    }

    /** PostgreSQL batches that the database refused as a whole and that went again row-isolating. */
    public long isolatingBatches() {
        return isolatingBatches.sum();
    }

    /** Rows counted as duplicates because the pre-check found their hash in the table: they were never sent. */
    public long knownRows() {
        return knownRows.sum();
    }

    /** Rows sent to the table after the pre-check (staged, copied or inserted), repeats within a batch included. */
    public long sentRows() {
        return sentRows.sum();
    }

    public String insertSql() {
        return insertSql;
    }

    /** Outcome of one batch, also added to the run's ledger. */
    public record Outcome(long inserted, long duplicate, long rejected) {
    }

    /** Writes the batch and adds its counts to the run's ledger (after the commit). */
    public Outcome write(LoadBatch batch, RunAccount run) throws SQLException {
        Outcome outcome = write(batch, run.runId());
        run.written(outcome.inserted()).duplicate(outcome.duplicate()).deadLettered(outcome.rejected());
        return outcome;
    }

    /** Writes the batch, its rows and rejects tagged with {@code runId}; counts nowhere but in the outcome. */
    public Outcome write(LoadBatch batch, String runId) throws SQLException {
        List<LoadBatch.Reject> rejected = new ArrayList<>(batch.rejects());
        long[] counts = new long[2]; // inserted, duplicate
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            if (postgres == null) {
                boolean isPostgres = "PostgreSQL".equalsIgnoreCase(c.getMetaData().getDatabaseProductName());
                if (method == Method.COPY && !isPostgres) {
                    throw new IllegalArgumentException("method=copy needs PostgreSQL, not "
                            + c.getMetaData().getDatabaseProductName() + " (use auto or insert)");
                }
                postgres = isPostgres && method != Method.INSERT;
            }
            try (PreparedStatement insert = postgres ? null : c.prepareStatement(insertSql)) {
                List<LoadBatch.Row> rows = lookUpThisBatch(runId) ? lookedUp(batch.rows(), withoutKnownHashes(c, batch.rows()))
                        : batch.rows();
                long known = batch.rows().size() - rows.size();
                counts[1] += known;
                if (postgres && !rows.isEmpty() && !copyThenInsert(c, rows, runId, counts)) {
                    for (int from = 0; from < rows.size(); from += MULTI_ROW) {
                        insertMultiRow(c, rows.subList(from, Math.min(rows.size(), from + MULTI_ROW)), runId, counts, rejected);
                    }
                }
                if (!postgres && !rows.isEmpty()) {
                    insert(c, insert, rows, runId, counts, rejected);
                }
                rejects.write(c, runId, rejected);
                c.commit();
                knownRows.add(known);
                sentRows.add(rows.size());
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
        return new Outcome(counts[0], counts[1], rejected.size());
    }

    private void insert(Connection c, PreparedStatement insert, List<LoadBatch.Row> rows, String runId, long[] counts,
                        List<LoadBatch.Reject> rejected) throws SQLException {
        Savepoint savepoint = c.setSavepoint();
        try {
            if (rows.size() == 1) {
                bind(insert, rows.get(0), runId);
                tally(insert.executeUpdate(), counts);
                return;
            }
            for (LoadBatch.Row row : rows) {
                bind(insert, row, runId);
                insert.addBatch();
            }
            for (int n : insert.executeBatch()) {
                tally(n, counts);
            }
        } catch (SQLException e) {
            if (isTransient(e)) {
                throw e;
            }
            insert.clearBatch();
            c.rollback(savepoint);
            if (rows.size() == 1) {
                if (isUniqueViolation(e)) {
                    counts[1]++; // a parallel writer inserted the same row first: a duplicate, not an error
                } else {
                    LoadBatch.Row row = rows.get(0);
                    rejected.add(new LoadBatch.Reject(row.line(), row.source().rawLine(),
                            row.source().where() + ", database refused the row: " + databaseMessage(e), "database"));
                }
                return;
            }
            int half = rows.size() / 2;
            insert(c, insert, rows.subList(0, half), runId, counts, rejected);
            insert(c, insert, rows.subList(half, rows.size()), runId, counts, rejected);
        }
    }

    /**
     * PostgreSQL's fast path: the batch, each hash once, streamed with {@code COPY} into a session-local staging table
     * (no index, emptied at commit), then moved with one {@code INSERT ... SELECT ... WHERE NOT EXISTS} on the hash: the
     * update count is the number inserted, the rest are duplicates (a repeat within the batch is one without reaching
     * the database). An anti-join, not {@code ON CONFLICT DO NOTHING}: on 1M rows it took 4.2 s instead of 6.2 s, and
     * 1.2 s instead of 4.3 s when every row was a duplicate (each {@code ON CONFLICT} row is a speculative insertion).
     * A parallel writer inserting the same hash meanwhile makes it fail on the unique index instead; like a row the
     * database refuses, that rolls the batch back to a savepoint and false is returned: the multi-row
     * {@code ON CONFLICT} statements then write it, isolating bad rows, with counts as exact.
     */
    private boolean copyThenInsert(Connection c, List<LoadBatch.Row> rows, String runId, long[] counts) throws SQLException {
        Savepoint savepoint = c.setSavepoint();
        List<LoadBatch.Row> unique = firstOfEachHash(rows);
        try (Statement st = c.createStatement()) {
            st.execute(createStageSql);
            long copied = c.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql, copyText(unique, runId).asInputStream());
            if (copied != unique.size()) {
                throw new IllegalStateException("COPY took " + copied + " of " + unique.size() + " rows");
            }
            int inserted = st.executeUpdate(moveStagedSql);
            counts[0] += inserted;
            counts[1] += rows.size() - inserted;
            c.releaseSavepoint(savepoint);
            return true;
        } catch (SQLException e) {
            if (isTransient(e)) {
                throw e;
            }
            c.rollback(savepoint);
            isolatingBatches.increment();
            return false;
        } catch (IOException e) {
            throw new SQLException("COPY into the staging table failed: " + e.getMessage(), "08006", e);
        }
    }

    /**
     * Whether to ask the table for this batch's hashes. A lookup pays off when most of a batch is in the table already
     * (the rerun of a window, the common case); on a first load it finds nothing and costs a round trip per batch. So
     * after a lookup that found fewer than 1/8 of its batch, the next batches go without (1, then 2, 4, ... up to
     * {@value #MAX_LOOKUPS_SKIPPED} while lookups keep finding little), then one looks again; a lookup that finds more
     * brings them back for every batch. Each run starts looking. Only what is sent changes: the anti-join still counts
     * every duplicate a batch carries.
     */
    private boolean lookUpThisBatch(String runId) {
        if (!runId.equals(lookupRun)) {
            lookupRun = runId;
            lookupsToSkip.set(0);
            skipLength.set(0);
        }
        for (int n = lookupsToSkip.get(); n > 0; n = lookupsToSkip.get()) {
            if (lookupsToSkip.compareAndSet(n, n - 1)) {
                return false;
            }
        }
        return true;
    }

    static final int MAX_LOOKUPS_SKIPPED = 16;

    private List<LoadBatch.Row> lookedUp(List<LoadBatch.Row> batch, List<LoadBatch.Row> unknown) {
        lookups.increment();
        long known = batch.size() - unknown.size();
        if (known * 8 < batch.size()) {
            int next = Math.min(MAX_LOOKUPS_SKIPPED, Math.max(1, skipLength.get() * 2));
            skipLength.set(next);
            lookupsToSkip.set(next);
        } else {
            skipLength.set(0);
            lookupsToSkip.set(0);
        }
        return unknown;
    }

    /** Batches for which the table was asked which hashes it has. */
    public long lookups() {
        return lookups.sum();
    }

    /**
     * The rows whose hash the table does not have yet, asked in one round trip per batch on PostgreSQL
     * ({@code = ANY} of a {@code bytea[]}) and per {@value #HASH_CHECK_CHUNK} hashes elsewhere ({@code IN}, valid
     * T-SQL), both on the hash's unique index. The rerun of a window, where most rows are there already, then costs
     * these lookups instead of staging and inserting every row. The rows left still go through the anti-join: a row
     * another writer inserts after this check is still counted a duplicate there. A row found here is in the table
     * (committed) and counted a duplicate; repeats within the batch stay, for the writes to count as before.
     */
    private List<LoadBatch.Row> withoutKnownHashes(Connection c, List<LoadBatch.Row> rows) throws SQLException {
        if (rows.isEmpty()) {
            return rows;
        }
        List<LoadBatch.Row> unique = firstOfEachHash(rows);
        RowHashSet known = new RowHashSet(unique.size());
        if (postgres) {
            byte[][] hashes = new byte[unique.size()][];
            for (int i = 0; i < hashes.length; i++) {
                hashes[i] = unique.get(i).hash();
            }
            Array array = c.createArrayOf("bytea", hashes);
            try (PreparedStatement ps = c.prepareStatement(knownHashesPgSql)) {
                ps.setArray(1, array);
                collectHashes(ps, known);
            } finally {
                array.free();
            }
        } else {
            for (int from = 0; from < unique.size(); from += HASH_CHECK_CHUNK) {
                int n = Math.min(HASH_CHECK_CHUNK, unique.size() - from);
                int size = inListSize(n);
                // prepared per chunk: the drivers cache a statement by its text (H2's session cache, pgjdbc's)
                try (PreparedStatement ps = c.prepareStatement(inListSql(size))) {
                    for (int i = 0; i < size; i++) {
                        ps.setBytes(i + 1, unique.get(from + Math.min(i, n - 1)).hash());
                    }
                    collectHashes(ps, known);
                }
            }
        }
        if (known.isEmpty()) {
            return rows;
        }
        List<LoadBatch.Row> unknown = new ArrayList<>(rows.size() - known.size());
        for (LoadBatch.Row row : rows) {
            if (!known.contains(row.hash())) {
                unknown.add(row);
            }
        }
        return unknown;
    }

    /**
     * The IN list's length for n hashes: the next power of two (at least 8), the rest padded with a repeated hash,
     * so that a few statement texts (and plans, on SQL Server) serve every batch size.
     */
    static int inListSize(int n) {
        return Math.min(HASH_CHECK_CHUNK, Math.max(8, Integer.highestOneBit(Math.max(1, n - 1)) << 1));
    }

    private String inListSql(int size) {
        return knownHashesInListSqlBySize.computeIfAbsent(size,
                k -> knownHashesInListSql + String.join(", ", Collections.nCopies(k, "?")) + ")");
    }

    private static void collectHashes(PreparedStatement ps, RowHashSet into) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                into.add(rs.getBytes(1));
            }
        }
    }

    /** The rows, without those whose hash an earlier row of the batch has (the same list when there are none). */
    static List<LoadBatch.Row> firstOfEachHash(List<LoadBatch.Row> rows) {
        RowHashSet seen = new RowHashSet(rows.size());
        List<LoadBatch.Row> unique = null;
        for (int i = 0; i < rows.size(); i++) {
            boolean first = seen.add(rows.get(i).hash());
            if (!first && unique == null) {
                unique = new ArrayList<>(rows.subList(0, i));
            } else if (first && unique != null) {
                unique.add(rows.get(i));
            }
        }
        return unique == null ? rows : unique;
    }

    /** The rows in COPY's text format, UTF-8: tab-separated, {@code \N} for no value, backslash escapes. */
    CopyText copyText(List<LoadBatch.Row> rows, String runId) {
        CopyText text = new CopyText(rows.size() * 200);
        byte[] run = runId.getBytes(StandardCharsets.UTF_8);
        for (LoadBatch.Row row : rows) {
            for (int i = 0; i < mapping.columns().size(); i++) {
                ColumnMapping.Column column = mapping.columns().get(i);
                if (!column.loaded()) {
                    continue;
                }
                Object v = row.values()[i];
                if (v == null) {
                    text.ascii("\\N");
                } else if (v instanceof String str) {
                    text.escaped(str);
                } else if (v instanceof BigDecimal d) {
                    text.ascii(d.toPlainString());
                } else if (v instanceof LocalDateTime t) {
                    text.timestamp(t);
                } else if (v instanceof Boolean b) {
                    text.write(b ? 't' : 'f');
                } else {
                    text.ascii(v.toString());
                }
                text.write('\t');
            }
            text.bytea(row.hash());
            text.write('\t');
            text.write(run);
            text.write('\n');
        }
        return text;
    }

    /** PostgreSQL: one multi-row statement; on a refused row, the same split into halves as {@link #insert}. */
    private void insertMultiRow(Connection c, List<LoadBatch.Row> rows, String runId, long[] counts,
                                List<LoadBatch.Reject> rejected) throws SQLException {
        Savepoint savepoint = c.setSavepoint();
        try (PreparedStatement insert = c.prepareStatement(multiRowSql(rows.size()))) {
            int p = 1;
            for (LoadBatch.Row row : rows) {
                p = bindRow(insert, p, row, runId);
            }
            int inserted = insert.executeUpdate();
            counts[0] += inserted;
            counts[1] += rows.size() - inserted; // ON CONFLICT DO NOTHING: not inserted means the hash was there
            c.releaseSavepoint(savepoint);
        } catch (SQLException e) {
            if (isTransient(e)) {
                throw e;
            }
            c.rollback(savepoint);
            if (rows.size() == 1) {
                LoadBatch.Row row = rows.get(0);
                rejected.add(new LoadBatch.Reject(row.line(), row.source().rawLine(),
                        row.source().where() + ", database refused the row: " + databaseMessage(e), "database"));
                return;
            }
            int half = rows.size() / 2;
            insertMultiRow(c, rows.subList(0, half), runId, counts, rejected);
            insertMultiRow(c, rows.subList(half, rows.size()), runId, counts, rejected);
        }
    }

    private static void tally(int updateCount, long[] counts) {
        if (updateCount == 1) {
            counts[0]++;
        } else if (updateCount == 0) {
            counts[1]++;
        } else {
            // SUCCESS_NO_INFO (e.g. mssql-jdbc with useBulkCopyForBatchInsert=true): duplicates could not be counted.
            throw new IllegalStateException("the JDBC driver returned update count " + updateCount
                    + " instead of 0 or 1: exact duplicate counts need per-statement counts"
                    + " (leave useBulkCopyForBatchInsert off for SQL Server)");
        }
    }

    private void bind(PreparedStatement ps, LoadBatch.Row row, String runId) throws SQLException {
        int p = bindRow(ps, 1, row, runId);
        ps.setBytes(p, row.hash()); // the NOT EXISTS filter
    }

    /** Binds the row's loaded columns, hash and run id from parameter {@code p}; returns the next parameter index. */
    private int bindRow(PreparedStatement ps, int p, LoadBatch.Row row, String runId) throws SQLException {
        for (int i = 0; i < mapping.columns().size(); i++) {
            ColumnMapping.Column column = mapping.columns().get(i);
            if (!column.loaded()) {
                continue;
            }
            Object v = row.values()[i];
            if (v == null) {
                ps.setNull(p++, sqlType(column.type()));
            } else if (v instanceof Long l) {
                ps.setLong(p++, l);
            } else if (v instanceof BigDecimal d) {
                ps.setBigDecimal(p++, d);
            } else if (v instanceof LocalDateTime t) {
                ps.setObject(p++, t); // JDBC 4.2: no detour through the JVM's default zone
            } else if (v instanceof Boolean b) {
                ps.setBoolean(p++, b);
            } else {
                ps.setString(p++, (String) v);
            }
        }
        ps.setBytes(p++, row.hash());
        ps.setString(p++, runId);
        return p;
    }

    private static int sqlType(ColumnType type) {
        if (type instanceof ColumnType.IntegerType) {
            return Types.BIGINT;
        } else if (type instanceof ColumnType.DecimalType) {
            return Types.DECIMAL;
        } else if (type instanceof ColumnType.TimestampType) {
            return Types.TIMESTAMP;
        } else if (type instanceof ColumnType.BooleanType) {
            return Types.BOOLEAN;
        }
        return Types.VARCHAR;
    }

    /** Failures that say nothing about the row: the connection, a deadlock, a timeout, the server going away. */
    static boolean isTransient(SQLException e) {
        for (SQLException x = e; x != null; x = x.getNextException()) {
            String state = x.getSQLState();
            if (x instanceof SQLTransientException || x instanceof SQLRecoverableException
                    || x instanceof java.sql.SQLNonTransientConnectionException) {
                return true;
            }
            if (state != null && (state.startsWith("08") || state.startsWith("40") || state.startsWith("53")
                    || state.startsWith("57") || state.startsWith("HYT"))) {
                return true;
            }
            if (x.getNextException() == x) {
                break;
            }
        }
        return false;
    }

    /** 23505 (PostgreSQL, H2) or SQL Server's 2601/2627 on the hash index. */
    static boolean isUniqueViolation(SQLException e) {
        for (SQLException x = e; x != null; x = x.getNextException()) {
            if ("23505".equals(x.getSQLState()) || x.getErrorCode() == 2601 || x.getErrorCode() == 2627) {
                return true;
            }
            if (x.getNextException() == x) {
                break;
            }
        }
        return false;
    }

    private static String databaseMessage(SQLException e) {
        SQLException root = e instanceof BatchUpdateException && e.getNextException() != null ? e.getNextException() : e;
        String message = root.getMessage() == null ? root.toString() : root.getMessage();
        // H2 appends the statement; the reason is what matters.
        int sql = message.indexOf("; SQL statement:");
        return (sql > 0 ? message.substring(0, sql) : message) + (root.getSQLState() == null ? "" : " [SQLState " + root.getSQLState() + "]");
    }

}
