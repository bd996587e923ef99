package dev.ferry.sqlload;

import dev.ferry.accounting.PipelineMetrics;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.report.ReportRow;
import dev.ferry.report.RowConverter;
import dev.ferry.sql.Migrations;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The batch writer on H2 (SQL Server mode) with the real migrations: duplicates, bisect, rejects, exact counts. */
class BatchWriterTest {

    // Notes allowed up to 3000 characters by the mapping, but the table's column holds 2000: the database refuses.
    private static final String COLUMNS = "TrackingId = tracking_id : text(40) : required; Plant = plant : text(10) : required;"
            + " Line = line_no : integer; PartNumber = part_number : text(20) : required; Quantity = quantity : integer : required;"
            + " UnitWeightKg = unit_weight_kg : decimal(10,3); ProducedAt = produced_at : timestamp(yyyy-MM-dd HH:mm:ss, UTC) : required;"
            + " Operator = operator_name : text(100); QualityPassed = quality_passed : boolean; Notes = notes : text(3000)";

    @Test
    void aBatchWithBadRowsIsSplitUntilEachIsIsolatedGoodRowsAreWrittenAndDuplicatesAreCountedExactly() throws Exception {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:bw-" + UUID.randomUUID() + ";MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE;DB_CLOSE_DELAY=-1");
        BatchWriter writer = badRowsAndDuplicates(ds, "Value too long for column");
        assertThat(writer.insertSql()).isEqualTo("INSERT INTO t (tracking_id, plant, line_no, part_number, quantity,"
                + " unit_weight_kg, produced_at, operator_name, quality_passed, notes, row_hash, run_id) SELECT ?, ?, ?, ?, ?,"
                + " ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM t WHERE row_hash = ?)");
    }

    /** PostgreSQL takes multi-row INSERT ... ON CONFLICT DO NOTHING statements: the same outcome, row for row. */
    @Test
    void onPostgresqlMultiRowStatementsGiveTheSameExactCountsAndRejects() throws Exception {
        javax.sql.DataSource ds = freshPostgresDatabase("bw_");
        BatchWriter writer = badRowsAndDuplicates(ds, "ERROR: value too long for type character varying(2000)");
        assertThat(writer.isolatingBatches()).as("the batch with bad rows went again row-isolating").isPositive();
        assertThat(writer.multiRowSql(2)).endsWith(" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),"
                + " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (row_hash) DO NOTHING");
    }

    /** A batch mixing rows the table has with new ones, on H2 (SQL Server mode): only the new rows are sent. */
    @Test
    void aBatchMixingKnownAndNewRowsSendsOnlyTheNewOnesWithExactCounts() throws Exception {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:bwk-" + UUID.randomUUID() + ";MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE;DB_CLOSE_DELAY=-1");
        knownAndNewRows(ds);
    }

    @Test
    void onPostgresqlABatchMixingKnownAndNewRowsCopiesOnlyTheNewOnesWithExactCounts() throws Exception {
        knownAndNewRows(freshPostgresDatabase("bwk_"));
    }

    /**
     * 1,500 rows loaded (more than one IN list of {@value BatchWriter#HASH_CHECK_CHUNK} on H2), then a batch of
     * those 1,500, 5 new rows, a repeat of a new one and a new row the table refuses: the known rows are duplicates
     * without being sent, the rest goes through the writes as before. Then the known rows alone: nothing is sent.
     */
    private static void knownAndNewRows(javax.sql.DataSource ds) throws Exception {
        Migrations.migrate(ds, "classpath:db/report-to-sql/{vendor}", Map.of("target_table", "t", "rejects_table", "r", "run_table", "runs"));
        ColumnMapping mapping = ColumnMapping.parse(COLUMNS);
        RowConverter converter = new RowConverter(mapping, new RowHasher(mapping, List.of()));
        BatchWriter writer = new BatchWriter(ds, mapping, "t", new RejectsWriter("r"));
        Runs runs = new Runs(new PipelineMetrics(() -> null));
        List<ReportRow> known = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            known.add(new ReportRow(i + 2, new String[] {"K-" + i, "A", "1", "PN-1", "1", "", "2026-01-01 00:00:00", "", "", ""}));
        }
        RunAccount first = runs.begin("report-to-sql", "first");
        assertThat(writer.write(converter.convert(known, first), first)).isEqualTo(new BatchWriter.Outcome(1500, 0, 0));
        assertThat(writer.knownRows()).isZero();
        assertThat(writer.sentRows()).isEqualTo(1500);

        List<ReportRow> mixed = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            mixed.add(new ReportRow(2000 + i, new String[] {"N-" + i, "A", "1", "PN-1", "1", "", "2026-01-01 00:00:00", "", "", ""}));
        }
        mixed.addAll(known.subList(0, 750));
        mixed.add(new ReportRow(2100, mixed.get(0).values())); // a new row twice in the batch
        mixed.add(new ReportRow(2101, new String[] {"N-bad", "A", "1", "PN-1", "1", "", "2026-01-01 00:00:00", "", "", "x".repeat(2500)}));
        mixed.addAll(known.subList(750, 1500));
        RunAccount second = runs.begin("report-to-sql", "mixed");
        assertThat(writer.write(converter.convert(mixed, second), second))
                .as("5 new inserted; 1,500 known + 1 repeat duplicates; the refused row rejected")
                .isEqualTo(new BatchWriter.Outcome(5, 1501, 1));
        assertThat(second.unaccounted()).isZero();
        assertThat(writer.knownRows()).as("found by the pre-check, never sent").isEqualTo(1500);
        assertThat(writer.sentRows() - 1500).as("the new rows, the repeat and the refused row").isEqualTo(7);

        RunAccount rerun = runs.begin("report-to-sql", "rerun");
        assertThat(writer.write(converter.convert(known, rerun), rerun)).isEqualTo(new BatchWriter.Outcome(0, 1500, 0));
        assertThat(writer.sentRows() - 1507).as("an all-duplicates batch sends no rows").isZero();
        try (Connection c = ds.getConnection(); ResultSet rs = c.createStatement().executeQuery(
                "SELECT COUNT(*), COUNT(DISTINCT row_hash), SUM(CASE WHEN tracking_id LIKE 'N-%' THEN 1 ELSE 0 END) FROM t")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(1505);
            assertThat(rs.getLong(2)).isEqualTo(1505);
            assertThat(rs.getLong(3)).isEqualTo(5);
        }
    }

    /**
     * On a first load the lookups find nothing: after each, the next batches skip it (1, then 2), so six batches of new
     * rows cost three lookups. A new run starts looking again: the same six batches are all found known, none sent.
     * Counts are exact either way (a skipped lookup only means the rows go through the anti-join).
     */
    @Test
    void lookupsThatFindLittleAreSkippedForAWhileAndEachRunStartsLookingAgain() throws Exception {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:bwl-" + UUID.randomUUID() + ";MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE;DB_CLOSE_DELAY=-1");
        Migrations.migrate(ds, "classpath:db/report-to-sql/{vendor}", Map.of("target_table", "t", "rejects_table", "r", "run_table", "runs"));
        ColumnMapping mapping = ColumnMapping.parse(COLUMNS);
        RowConverter converter = new RowConverter(mapping, new RowHasher(mapping, List.of()));
        BatchWriter writer = new BatchWriter(ds, mapping, "t", new RejectsWriter("r"));
        Runs runs = new Runs(new PipelineMetrics(() -> null));
        List<List<ReportRow>> batches = new ArrayList<>();
        for (int b = 0; b < 6; b++) {
            List<ReportRow> rows = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                rows.add(new ReportRow(b * 100 + i + 2, new String[] {"L-" + b + "-" + i, "A", "1", "PN-1", "1", "", "2026-01-01 00:00:00", "", "", ""}));
            }
            batches.add(rows);
        }
        RunAccount first = runs.begin("report-to-sql", "first load");
        for (List<ReportRow> rows : batches) {
            assertThat(writer.write(converter.convert(rows, first), first)).isEqualTo(new BatchWriter.Outcome(100, 0, 0));
        }
        assertThat(writer.lookups()).as("batches 1, 3 and 6 looked up; 2, 4 and 5 skipped").isEqualTo(3);
        assertThat(writer.sentRows()).isEqualTo(600);

        RunAccount rerun = runs.begin("report-to-sql", "rerun");
        // the first run left four batches to skip: a new run looks up from its first batch
        for (List<ReportRow> rows : batches) {
            assertThat(writer.write(converter.convert(rows, rerun), rerun)).isEqualTo(new BatchWriter.Outcome(0, 100, 0));
        }
        assertThat(writer.lookups() - 3).as("every batch of the rerun looked up").isEqualTo(6);
        assertThat(writer.knownRows()).isEqualTo(600);
        assertThat(writer.sentRows() - 600).as("nothing of the rerun sent").isZero();
        assertThat(rerun.unaccounted()).isZero();
    }

    /**
     * The connection to PostgreSQL is reset while the table answers which hashes it has: the batch fails with the
     * connection's error, nothing is counted (its rows are not taken for duplicates), and the same batch written
     * again once the database answers comes out exact.
     */
    @Test
    void onPostgresqlAConnectionResetDuringTheLookupFailsTheBatchWithNothingCounted() throws Exception {
        dev.ferry.embedded.PostgresServer pg = dev.ferry.embedded.EmbeddedServices.shared().postgres();
        String database = "bwf_" + Long.toHexString(System.nanoTime());
        pg.createDatabase(database);
        try (dev.ferry.embedded.FaultProxy proxy = new dev.ferry.embedded.FaultProxy(java.net.URI.create("tcp://127.0.0.1:" + pg.port()))) {
            org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
            ds.setURL("jdbc:postgresql://127.0.0.1:" + proxy.endpoint().getPort() + "/" + database);
            ds.setUser(pg.user());
            ds.setPassword(pg.password());
            Migrations.migrate(ds, "classpath:db/report-to-sql/{vendor}", Map.of("target_table", "t", "rejects_table", "r", "run_table", "runs"));
            ColumnMapping mapping = ColumnMapping.parse(COLUMNS);
            RowConverter converter = new RowConverter(mapping, new RowHasher(mapping, List.of()));
            BatchWriter writer = new BatchWriter(ds, mapping, "t", new RejectsWriter("r"));
            Runs runs = new Runs(new PipelineMetrics(() -> null));
            List<ReportRow> rows = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                rows.add(new ReportRow(i + 2, new String[] {"F-" + i, "A", "1", "PN-1", "1", "", "2026-01-01 00:00:00", "", "", ""}));
            }
            RunAccount first = runs.begin("report-to-sql", "first");
            assertThat(writer.write(converter.convert(rows, first), first)).isEqualTo(new BatchWriter.Outcome(1000, 0, 0));

            // a new connection's start-up answers take well under 5,000 bytes; the lookup's 1,000 hashes about 27,000
            proxy.cutAfter(5_000);
            try (Connection c = ds.getConnection(); ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
                assertThat(rs.next()).isTrue();
            }
            assertThat(proxy.cuts()).as("a connection's start-up is not cut").isZero();
            RunAccount cut = runs.begin("report-to-sql", "cut");
            LoadBatch batch = converter.convert(rows, cut);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> writer.write(batch, cut))
                    .isInstanceOf(java.sql.SQLException.class)
                    .satisfies(e -> assertThat(BatchWriter.isTransient((java.sql.SQLException) e)).as(e.toString()).isTrue());
            assertThat(proxy.cuts()).as("the reset hit the lookup").isEqualTo(1);
            assertThat(List.of(cut.written(), cut.duplicate(), cut.deadLettered())).containsExactly(0L, 0L, 0L);
            assertThat(writer.knownRows()).isZero();

            assertThat(writer.write(batch, cut)).isEqualTo(new BatchWriter.Outcome(0, 1000, 0));
            assertThat(cut.unaccounted()).isZero();
        }
    }

    @Test
    void theInListOfThePreCheckHasAFewLengthsOnly() {
        assertThat(List.of(1, 8, 9, 100, 128, 1000).stream().map(BatchWriter::inListSize).toList())
                .containsExactly(8, 8, 16, 128, 128, 128);
    }

    /** A new database on the shared embedded PostgreSQL server. */
    private static javax.sql.DataSource freshPostgresDatabase(String prefix) {
        dev.ferry.embedded.PostgresServer pg = dev.ferry.embedded.EmbeddedServices.shared().postgres();
        org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
        ds.setURL(pg.createDatabase(prefix + Long.toHexString(System.nanoTime())));
        ds.setUser(pg.user());
        ds.setPassword(pg.password());
        return ds;
    }

    private static BatchWriter badRowsAndDuplicates(javax.sql.DataSource ds, String tooLong) throws Exception {
        Migrations.migrate(ds, "classpath:db/report-to-sql/{vendor}", Map.of("target_table", "t", "rejects_table", "r", "run_table", "runs"));
        ColumnMapping mapping = ColumnMapping.parse(COLUMNS);
        RowConverter converter = new RowConverter(mapping, new RowHasher(mapping, List.of()));
        BatchWriter writer = new BatchWriter(ds, mapping, "t", new RejectsWriter("r"));
        Runs runs = new Runs(new PipelineMetrics(() -> null));

        List<ReportRow> rows = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String notes = i == 13 || i == 77 ? "x".repeat(2500) : "note " + i;
            rows.add(new ReportRow(i + 2, new String[] {"A-" + i, "A", "1", "PN-1", String.valueOf(i + 1), "1.500",
                    "2026-01-01 00:00:00", "Smith, Anna", "True", notes}));
        }
        rows.add(new ReportRow(102, rows.get(5).values())); // the same row twice in one report
        RunAccount run = runs.begin("report-to-sql", "test");
        BatchWriter.Outcome first = writer.write(converter.convert(rows, run), run);
        assertThat(first).isEqualTo(new BatchWriter.Outcome(98, 1, 2));
        assertThat(run.unaccounted()).isZero();

        RunAccount again = runs.begin("report-to-sql", "test again");
        assertThat(writer.write(converter.convert(rows, again), again)).isEqualTo(new BatchWriter.Outcome(0, 99, 2));

        try (Connection c = ds.getConnection(); ResultSet rs = c.createStatement().executeQuery(
                "SELECT line_number, stage, reason, raw_line FROM r WHERE run_id = '" + run.runId() + "' ORDER BY line_number")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getLong(1)).isEqualTo(15);
            assertThat(rs.getString(2)).isEqualTo("database");
            assertThat(rs.getString(3)).startsWith("line 15, database refused the row: " + tooLong).contains("SQLState 22001");
            assertThat(rs.getString(4)).startsWith("A-13,A,1,PN-1,14,1.500,2026-01-01 00:00:00,\"Smith, Anna\",True,xxx");
            assertThat(rs.next()).isTrue();
            assertThat(rs.getLong(1)).isEqualTo(79);
            assertThat(rs.next()).isFalse();
        }
        return writer;
    }

    /**
     * PostgreSQL's COPY path carries every value exactly: text with tabs, line breaks, carriage returns, backslashes
     * and quotes, empty text, no values, decimals, timestamps, flags, the binary hash; and a second write of the same
     * rows inserts none.
     */
    @Test
    void onPostgresqlTheCopyPathCarriesEveryValueExactly() throws Exception {
        javax.sql.DataSource ds = freshPostgresDatabase("bwc_");
        Migrations.migrate(ds, "classpath:db/report-to-sql/{vendor}", Map.of("target_table", "t", "rejects_table", "r", "run_table", "runs"));
        ColumnMapping mapping = ColumnMapping.parse(COLUMNS);
        RowConverter converter = new RowConverter(mapping, new RowHasher(mapping, List.of()));
        BatchWriter writer = new BatchWriter(ds, mapping, "t", new RejectsWriter("r"));
        Runs runs = new Runs(new PipelineMetrics(() -> null));
        String[] notes = {"tab\there", "two\nlines", "cr\r\nlf", "back\\slash \\N \\t", "\"quoted\", 'single'", "", "caf\u00e9 \u4e2d\u6587", "\\"};
        List<ReportRow> rows = new ArrayList<>();
        for (int i = 0; i < notes.length; i++) {
            rows.add(new ReportRow(i + 2, new String[] {"C-" + i, "B", i % 2 == 0 ? "" : "7", "PN-\\" + i, "42", i % 3 == 0 ? "" : "0.125",
                    "2026-03-04 05:06:07", i == 1 ? "" : "O'Brien\tJr", i % 2 == 0 ? "False" : "", notes[i]}));
        }
        RunAccount run = runs.begin("report-to-sql", "copy");
        LoadBatch batch = converter.convert(rows, run);
        assertThat(writer.write(batch, run)).isEqualTo(new BatchWriter.Outcome(notes.length, 0, 0));
        assertThat(writer.isolatingBatches()).as("no batch fell back from COPY").isZero();
        try (Connection c = ds.getConnection(); ResultSet rs = c.createStatement().executeQuery(
                "SELECT tracking_id, line_no, part_number, unit_weight_kg, produced_at, operator_name, quality_passed, notes,"
                        + " row_hash, run_id FROM t ORDER BY tracking_id")) {
            for (int i = 0; i < notes.length; i++) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("C-" + i);
                assertThat(rs.getObject(2)).isEqualTo(i % 2 == 0 ? null : 7);
                assertThat(rs.getString(3)).isEqualTo("PN-\\" + i);
                assertThat(rs.getBigDecimal(4)).isEqualTo(i % 3 == 0 ? null : new java.math.BigDecimal("0.125"));
                assertThat(rs.getObject(5, java.time.LocalDateTime.class)).isEqualTo(java.time.LocalDateTime.of(2026, 3, 4, 5, 6, 7));
                assertThat(rs.getString(6)).isEqualTo(i == 1 ? "" : "O'Brien\tJr");
                assertThat(rs.getObject(7)).isEqualTo(i % 2 == 0 ? Boolean.FALSE : null);
                assertThat(rs.getString(8)).isEqualTo(notes[i]);
                assertThat(rs.getBytes(9)).as("the 16-byte hash, through COPY's escaped bytea").hasSize(16)
                        .isEqualTo(batch.rows().get(i).hash());
                assertThat(rs.getString(10)).isEqualTo(run.runId());
            }
            assertThat(rs.next()).isFalse();
        }
        RunAccount again = runs.begin("report-to-sql", "copy again");
        assertThat(writer.write(converter.convert(rows, again), again)).isEqualTo(new BatchWriter.Outcome(0, notes.length, 0));

        // A batch that repeats rows of its own (and one already loaded): each new hash inserted once, the rest
        // duplicates, without falling back from COPY.
        List<ReportRow> repeats = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int k = i % 3;
            repeats.add(new ReportRow(100 + i, new String[] {"R-" + k, "B", "", "PN", "1", "", "2026-03-04 05:06:07", "", "", ""}));
        }
        repeats.add(rows.get(0));
        RunAccount third = runs.begin("report-to-sql", "repeats");
        assertThat(writer.write(converter.convert(repeats, third), third)).isEqualTo(new BatchWriter.Outcome(3, 4, 0));
        assertThat(writer.isolatingBatches()).as("no batch fell back from COPY").isZero();
        try (Connection c = ds.getConnection(); ResultSet rs = c.createStatement().executeQuery(
                "SELECT COUNT(*), COUNT(DISTINCT row_hash) FROM t WHERE tracking_id LIKE 'R-%'")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(3);
            assertThat(rs.getLong(2)).isEqualTo(3);
        }
    }

    /**
     * Two writers inserting the same new hash at once (the same row in two batches in flight): the anti-join of the
     * second does not see the first's uncommitted row, its insert waits on the unique index and then fails. The batch
     * goes again with ON CONFLICT: that row is a duplicate, the other inserted, nothing lost or counted twice.
     */
    @Test
    void onPostgresqlARowInsertedMeanwhileByAnotherWriterIsCountedAsADuplicate() throws Exception {
        javax.sql.DataSource ds = freshPostgresDatabase("bwr_");
        Migrations.migrate(ds, "classpath:db/report-to-sql/{vendor}", Map.of("target_table", "t", "rejects_table", "r", "run_table", "runs"));
        ColumnMapping mapping = ColumnMapping.parse(COLUMNS);
        RowConverter converter = new RowConverter(mapping, new RowHasher(mapping, List.of()));
        BatchWriter writer = new BatchWriter(ds, mapping, "t", new RejectsWriter("r"));
        Runs runs = new Runs(new PipelineMetrics(() -> null));
        ReportRow shared = new ReportRow(2, new String[] {"S-1", "B", "", "PN", "1", "", "2026-03-04 05:06:07", "", "", ""});
        ReportRow own = new ReportRow(3, new String[] {"S-2", "B", "", "PN", "2", "", "2026-03-04 05:06:07", "", "", ""});

        try (Connection other = ds.getConnection()) {
            other.setAutoCommit(false);
            RunAccount first = runs.begin("report-to-sql", "other writer");
            LoadBatch.Row row = converter.convert(List.of(shared), first).rows().get(0);
            try (var ps = other.prepareStatement("INSERT INTO t (tracking_id, plant, part_number, quantity, produced_at,"
                    + " row_hash, run_id) VALUES ('S-1', 'B', 'PN', 1, TIMESTAMP '2026-03-04 05:06:07', ?, ?)")) {
                ps.setBytes(1, row.hash());
                ps.setString(2, first.runId());
                ps.executeUpdate();
            }
            RunAccount second = runs.begin("report-to-sql", "this writer");
            var outcome = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return writer.write(converter.convert(List.of(shared, own), second), second);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (Connection watch = ds.getConnection()) {
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
                    try (ResultSet rs = watch.createStatement().executeQuery(
                            "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")) {
                        rs.next();
                        return rs.getLong(1) > 0;
                    }
                });
            }
            other.commit();
            assertThat(outcome.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(new BatchWriter.Outcome(1, 1, 0));
            assertThat(writer.isolatingBatches()).as("the batch went again with ON CONFLICT").isEqualTo(1);
        }
        try (Connection c = ds.getConnection(); ResultSet rs = c.createStatement().executeQuery(
                "SELECT COUNT(*), COUNT(DISTINCT row_hash) FROM t")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(2);
            assertThat(rs.getLong(2)).isEqualTo(2);
        }
    }
}
