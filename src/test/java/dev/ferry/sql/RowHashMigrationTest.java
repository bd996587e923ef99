package dev.ferry.sql;

import dev.ferry.accounting.PipelineMetrics;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.PostgresServer;
import dev.ferry.report.ReportRow;
import dev.ferry.report.RowConverter;
import dev.ferry.sqlload.BatchWriter;
import dev.ferry.sqlload.ColumnMapping;
import dev.ferry.sqlload.LoadBatch;
import dev.ferry.sqlload.RejectsWriter;
import dev.ferry.sqlload.RowHasher;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A table loaded before the hash became 16 bytes (V1: 64 hex characters) is upgraded by V2 in place: every stored
 * hash becomes what the writer now computes for its row, so loading the same rows again inserts none of them.
 */
class RowHashMigrationTest {

    private static final String LOCATIONS = "classpath:db/report-to-sql/{vendor}";
    private static final Map<String, String> TABLES = Map.of("target_table", "t", "rejects_table", "r", "run_table", "runs");
    private static final String COLUMNS = "TrackingId = tracking_id : text(40) : required; Plant = plant : text(10) : required;"
            + " Line = line_no : integer; PartNumber = part_number : text(20) : required; Quantity = quantity : integer : required;"
            + " UnitWeightKg = unit_weight_kg : decimal(10,3); ProducedAt = produced_at : timestamp(yyyy-MM-dd HH:mm:ss, UTC) : required;"
            + " Operator = operator_name : text(100); QualityPassed = quality_passed : boolean; Notes = notes : text(2000)";

    /** Three report rows and the hashes Ferry stored for them before V2 (RowHasher at 205b8fb: 64 hex characters). */
    private static final Map<ReportRow, String> LOADED_BEFORE = new LinkedHashMap<>();

    static {
        LOADED_BEFORE.put(new ReportRow(2, new String[] {"U-1", "A", "3", "PN-7", "12", "1.500", "2026-01-01 00:00:00", "Smith, Anna", "True", "first"}),
                "2949ff5cbe24bd5dc682bbbeb622fe79877e1776948575f1df35588625deddf1");
        LOADED_BEFORE.put(new ReportRow(3, new String[] {"U-2", "B", "", "PN-8", "1", "", "2026-02-03 04:05:06", "", "False", "tab\there"}),
                "e8dce1e8d78148ce2554fd1b4416e6d860be4c4aab07fc19ead189cd760aef18");
        LOADED_BEFORE.put(new ReportRow(4, new String[] {"U-3", "C", "9", "PN-9", "5", "0.125", "2026-12-31 23:59:59", "O'Brien", "", "caf\u00e9 \u4e2d"}),
                "ad01bb06ab4b6956efa52801a14275b40b70d1357abb1e87ec11089418a3ff08");
    }

    @Test
    void onH2TheHexHashesBecomeTheSixteenBytesTheWriterComputesAndARerunFindsOnlyDuplicates() throws Exception {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:rhm-" + UUID.randomUUID() + ";MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE;DB_CLOSE_DELAY=-1");
        upgradeKeepsEveryHash(ds);
    }

    @Test
    void onPostgresqlTheHexHashesBecomeTheSixteenBytesTheWriterComputesAndARerunFindsOnlyDuplicates() throws Exception {
        PostgresServer pg = EmbeddedServices.shared().postgres();
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(pg.createDatabase("rhm_" + Long.toHexString(System.nanoTime())));
        ds.setUser(pg.user());
        ds.setPassword(pg.password());
        upgradeKeepsEveryHash(ds);
    }

    private static void upgradeKeepsEveryHash(DataSource ds) throws Exception {
        ColumnMapping mapping = ColumnMapping.parse(COLUMNS);
        RowConverter converter = new RowConverter(mapping, new RowHasher(mapping, List.of()));
        List<ReportRow> before = new ArrayList<>(LOADED_BEFORE.keySet());
        LoadBatch converted = converter.convert(before);

        Migrations.migrate(ds, LOCATIONS, TABLES, "1");
        assertThat(columnType(ds)).as("V1: CHAR(64)").isEqualTo(Types.CHAR);
        try (Connection c = ds.getConnection(); PreparedStatement insert = c.prepareStatement("INSERT INTO t (tracking_id,"
                + " plant, line_no, part_number, quantity, unit_weight_kg, produced_at, operator_name, quality_passed, notes,"
                + " row_hash, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (LoadBatch.Row row : converted.rows()) {
                Object[] v = row.values();
                for (int i = 0; i < v.length; i++) {
                    insert.setObject(i + 1, v[i]);
                }
                insert.setString(11, LOADED_BEFORE.get(row.source()));
                insert.setString(12, "00000000-0000-0000-0000-000000000001");
                insert.executeUpdate();
            }
        }

        Migrations.migrate(ds, LOCATIONS, TABLES);
        assertThat(columnType(ds)).as("V2: BINARY(16), bytea").isEqualTo(Types.BINARY);
        Map<String, byte[]> stored = new LinkedHashMap<>();
        try (Connection c = ds.getConnection();
             ResultSet rs = c.createStatement().executeQuery("SELECT tracking_id, row_hash FROM t ORDER BY tracking_id")) {
            while (rs.next()) {
                stored.put(rs.getString(1), rs.getBytes(2));
            }
        }
        assertThat(stored).hasSize(3);
        for (LoadBatch.Row row : converted.rows()) {
            byte[] hash = stored.get((String) row.values()[0]);
            assertThat(hash).as("the first 16 bytes of the old hex hash")
                    .isEqualTo(HexFormat.of().parseHex(LOADED_BEFORE.get(row.source()).substring(0, 32)));
            assertThat(hash).as("what RowHasher computes now").isEqualTo(row.hash());
        }

        // Loading the same rows again after the upgrade: only duplicates, plus one row that is new.
        List<ReportRow> rerun = new ArrayList<>(before);
        rerun.add(new ReportRow(5, new String[] {"U-4", "D", "1", "PN-1", "2", "2.000", "2026-12-31 23:59:59", "", "True", "new"}));
        BatchWriter writer = new BatchWriter(ds, mapping, "t", new RejectsWriter("r"));
        RunAccount run = new Runs(new PipelineMetrics(() -> null)).begin("report-to-sql", "after V2");
        assertThat(writer.write(converter.convert(rerun, run), run)).isEqualTo(new BatchWriter.Outcome(1, 3, 0));
        assertThat(run.unaccounted()).isZero();

        // The unique index is back on the new column.
        try (Connection c = ds.getConnection(); PreparedStatement insert = c.prepareStatement("INSERT INTO t (tracking_id,"
                + " plant, part_number, quantity, produced_at, row_hash, run_id) VALUES ('U-9', 'A', 'PN', 1, ?, ?, ?)")) {
            insert.setObject(1, java.time.LocalDateTime.of(2026, 1, 1, 0, 0));
            insert.setBytes(2, converted.rows().get(0).hash());
            insert.setString(3, run.runId());
            assertThatThrownBy(insert::executeUpdate).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("23505"));
        }
    }

    /** The JDBC type of t.row_hash, which must be NOT NULL. */
    private static int columnType(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection()) {
            DatabaseMetaData meta = c.getMetaData();
            try (ResultSet rs = meta.getColumns(null, null, "t", "row_hash")) {
                assertThat(rs.next()).as("t.row_hash").isTrue();
                assertThat(rs.getString("IS_NULLABLE")).isEqualTo("NO");
                return rs.getInt("DATA_TYPE");
            }
        }
    }

    /**
     * A table whose migrations stopped before V2 (a custom location without that step) is refused by name and type
     * before anything loads: on H2 the bytes would quietly become text and earlier rows would be inserted again.
     */
    @Test
    void aTableStillAtTheHexHashIsRefusedBeforeAnythingLoadsOnH2AndPostgresql() throws Exception {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:rhm-" + UUID.randomUUID() + ";MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE;DB_CLOSE_DELAY=-1");
        PostgresServer server = EmbeddedServices.shared().postgres();
        PGSimpleDataSource pg = new PGSimpleDataSource();
        pg.setURL(server.createDatabase("rhc_" + Long.toHexString(System.nanoTime())));
        pg.setUser(server.user());
        pg.setPassword(server.password());
        for (DataSource ds : List.of(h2, pg)) {
            Migrations.migrate(ds, LOCATIONS, TABLES, "1");
            assertThatThrownBy(() -> Migrations.requireBinaryHash(ds, "t"))
                    .isInstanceOf(SchemaMismatchException.class)
                    .hasMessageStartingWith("table t: column row_hash is ")
                    .hasMessageContaining("(64), but Ferry writes a 16-byte binary hash")
                    .hasMessageContaining("V2__row_hash_binary.sql");
            assertThatThrownBy(() -> Migrations.requireBinaryHash(ds, "no_such_table"))
                    .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("has no row_hash column");
            Migrations.migrate(ds, LOCATIONS, TABLES);
            Migrations.requireBinaryHash(ds, "t"); // after V2: accepted
        }
    }
}
