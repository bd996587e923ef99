package dev.ferry.sqlload;

import dev.ferry.sql.Migrations;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ferry-sql-load: on its own, in a plain route (no pipeline, no run on the exchange), against a real database: H2 in
 * SQL Server mode with the report-to-sql tables. A list of maps goes in; the table, the rejects and the headers say
 * what happened to each row.
 */
class SqlLoadComponentTest {

    // notes may be 3000 characters here, the table's column holds 2000: the database refuses such a row
    private static final String COLUMNS = "tracking_id:text(40):required;plant:text(10):required;"
            + "part_number:text(20):required;quantity:integer:required;produced_at:timestamp(yyyy-MM-dd HH:mm:ss, UTC):required;"
            + "notes:text(3000)";

    @Test
    void aListOfRowsIsLoadedWithTheDuplicateSkippedTheBadRowsRejectedAndTheCountsInHeaders() throws Exception {
        JdbcDataSource db = new JdbcDataSource();
        db.setURL("jdbc:h2:mem:sqlload-" + UUID.randomUUID() + ";MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE;DB_CLOSE_DELAY=-1");
        Migrations.migrate(db, "classpath:db/report-to-sql/{vendor}", Map.of("target_table", "tracking",
                "rejects_table", "tracking_rejects", "run_table", "runs"));
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.getRegistry().bind("trackingDb", db);
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    // no dataSource option: the registry's only DataSource
                    from("direct:load").to("ferry-sql-load:tracking?rejectsTable=tracking_rejects"
                            + "&keyColumns=tracking_id&columns=" + COLUMNS);
                    from("direct:misspelt").to("ferry-sql-load:trackin?rejectsTable=tracking_rejects&columns=" + COLUMNS);
                }
            });
            camel.start();
            ProducerTemplate template = camel.createProducerTemplate();
            List<Map<String, Object>> rows = sixRows();

            Exchange done = template.send("direct:load", e -> e.getMessage().setBody(rows));

            assertThat(done.getException()).isNull();
            assertThat(done.getMessage().getHeader("FerrySqlWritten", Long.class)).isEqualTo(3);
            assertThat(done.getMessage().getHeader("FerrySqlDuplicate", Long.class)).isEqualTo(1);
            assertThat(done.getMessage().getHeader("FerrySqlRejected", Long.class)).isEqualTo(2);
            String runId = done.getMessage().getHeader("FerrySqlRunId", String.class);
            assertThat(runId).hasSize(36);
            try (Connection c = db.getConnection()) {
                assertThat(rows(c, "SELECT tracking_id, quantity, notes, run_id FROM tracking ORDER BY tracking_id"))
                        .containsExactly(List.of("T-1", "1", "first", runId), List.of("T-2", "2", "null", runId),
                                List.of("T-5", "5", "", runId));
                List<List<String>> rejects = rows(c, "SELECT line_number, stage, reason, run_id FROM tracking_rejects ORDER BY line_number");
                assertThat(rejects).hasSize(2);
                assertThat(rejects.get(0)).containsExactly("4", "convert", "row 4, column quantity: 'many' is not a whole number", runId);
                assertThat(rejects.get(1).subList(0, 2)).containsExactly("5", "database");
                assertThat(rejects.get(1).get(2)).startsWith("row 5, database refused the row: Value too long for column");
            }

            // the same rows again: nothing new, every good row a duplicate, the bad ones rejected again
            Exchange again = template.send("direct:load", e -> e.getMessage().setBody(rows));
            assertThat(again.getMessage().getHeader("FerrySqlWritten", Long.class)).isZero();
            assertThat(again.getMessage().getHeader("FerrySqlDuplicate", Long.class)).isEqualTo(4);
            assertThat(again.getMessage().getHeader("FerrySqlRejected", Long.class)).isEqualTo(2);

            // a table that is not there fails the exchange: its rows are not turned into rejects
            Exchange misspelt = template.send("direct:misspelt", e -> e.getMessage().setBody(rows));
            assertThat(misspelt.getException()).isInstanceOf(dev.ferry.sql.SchemaMismatchException.class)
                    .hasMessageContaining("table trackin has no row_hash column");
            assertThat(misspelt.getMessage().getHeader("FerrySqlRejected")).isNull();
            try (Connection c = db.getConnection()) {
                assertThat(rows(c, "SELECT COUNT(*) FROM tracking_rejects")).containsExactly(List.of("4"));
            }
        }
    }

    /**
     * On PostgreSQL both load methods give the same outcome for the same rows: auto (COPY into a staging table,
     * refused because of the too-long row, then multi-row inserts isolating it) and insert (batched inserts).
     */
    @Test
    void onPostgresqlCopyAndBatchedInsertsGiveTheSameOutcome() throws Exception {
        for (String method : List.of("auto", "insert")) {
            dev.ferry.embedded.PostgresServer pg = dev.ferry.embedded.EmbeddedServices.shared().postgres();
            org.postgresql.ds.PGSimpleDataSource db = new org.postgresql.ds.PGSimpleDataSource();
            db.setURL(pg.createDatabase("sqlload_" + method + "_" + Long.toHexString(System.nanoTime())));
            db.setUser(pg.user());
            db.setPassword(pg.password());
            Migrations.migrate(db, "classpath:db/report-to-sql/{vendor}", Map.of("target_table", "tracking",
                    "rejects_table", "tracking_rejects", "run_table", "runs"));
            try (CamelContext camel = new DefaultCamelContext()) {
                camel.getRegistry().bind("pg", db);
                camel.addRoutes(new RouteBuilder() {
                    @Override
                    public void configure() {
                        from("direct:load").to("ferry-sql-load:tracking?method=" + method + "&dataSource=#pg"
                                + "&rejectsTable=tracking_rejects&keyColumns=tracking_id&columns=" + COLUMNS);
                    }
                });
                camel.start();
                Exchange done = camel.createProducerTemplate().send("direct:load", e -> e.getMessage().setBody(sixRows()));
                assertThat(done.getException()).as(method).isNull();
                assertThat(List.of(done.getMessage().getHeader("FerrySqlWritten", Long.class),
                        done.getMessage().getHeader("FerrySqlDuplicate", Long.class),
                        done.getMessage().getHeader("FerrySqlRejected", Long.class))).as(method).containsExactly(3L, 1L, 2L);
                try (Connection c = db.getConnection()) {
                    assertThat(rows(c, "SELECT tracking_id, quantity FROM tracking ORDER BY tracking_id")).as(method)
                            .containsExactly(List.of("T-1", "1"), List.of("T-2", "2"), List.of("T-5", "5"));
                    assertThat(rows(c, "SELECT line_number, stage FROM tracking_rejects ORDER BY line_number")).as(method)
                            .containsExactly(List.of("4", "convert"), List.of("5", "database"));
                }
            }
        }
    }

    /**
     * The common case of a report fetched with overlapping windows: the same rows loaded again. On H2 and on
     * PostgreSQL every row is a duplicate, nothing is written, and no row is sent: the database was only asked
     * which hashes it has.
     */
    @Test
    void theSameRowsLoadedAgainAreAllDuplicatesAndNoneIsSentOnH2AndPostgresql() throws Exception {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:sqlload-rerun-" + UUID.randomUUID() + ";MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE;DB_CLOSE_DELAY=-1");
        dev.ferry.embedded.PostgresServer pg = dev.ferry.embedded.EmbeddedServices.shared().postgres();
        org.postgresql.ds.PGSimpleDataSource postgres = new org.postgresql.ds.PGSimpleDataSource();
        postgres.setURL(pg.createDatabase("sqlload_rerun_" + Long.toHexString(System.nanoTime())));
        postgres.setUser(pg.user());
        postgres.setPassword(pg.password());
        LocalDateTime at = LocalDateTime.of(2026, 3, 4, 5, 6, 7);
        List<Map<String, Object>> rows = new java.util.ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            rows.add(row("R-" + i, "A", "PN-" + (i % 7), i, at.plusMinutes(i), i % 3 == 0 ? null : "note " + i));
        }
        for (javax.sql.DataSource db : List.of(h2, postgres)) {
            Migrations.migrate(db, "classpath:db/report-to-sql/{vendor}", Map.of("target_table", "tracking",
                    "rejects_table", "tracking_rejects", "run_table", "runs"));
            try (CamelContext camel = new DefaultCamelContext()) {
                camel.getRegistry().bind("db", db);
                String uri = "ferry-sql-load:tracking?dataSource=#db&rejectsTable=tracking_rejects&columns=" + COLUMNS;
                camel.start();
                ProducerTemplate template = camel.createProducerTemplate();
                List<List<Long>> counts = new java.util.ArrayList<>();
                for (int round = 0; round < 2; round++) {
                    long written = 0;
                    long duplicate = 0;
                    for (int from = 0; from < rows.size(); from += 1000) {
                        List<Map<String, Object>> batch = rows.subList(from, Math.min(rows.size(), from + 1000));
                        Exchange done = template.send(uri, e -> e.getMessage().setBody(batch));
                        assertThat(done.getException()).isNull();
                        written += done.getMessage().getHeader("FerrySqlWritten", Long.class);
                        duplicate += done.getMessage().getHeader("FerrySqlDuplicate", Long.class);
                    }
                    counts.add(List.of(written, duplicate));
                }
                assertThat(counts).as(db.getClass().getSimpleName()).containsExactly(List.of(2500L, 0L), List.of(0L, 2500L));
                SqlLoadEndpoint endpoint = camel.getEndpoint(uri, SqlLoadEndpoint.class);
                BatchWriter writer = endpoint.writer(endpoint.listOfMaps().columns());
                assertThat(writer.sentRows()).as("only the first load's rows were sent").isEqualTo(2500);
                assertThat(writer.knownRows()).as("the rerun's rows were found by the pre-check").isEqualTo(2500);
                try (Connection c = db.getConnection()) {
                    assertThat(rows(c, "SELECT COUNT(*), COUNT(DISTINCT tracking_id) FROM tracking")).containsExactly(List.of("2500", "2500"));
                }
            }
        }
    }

    /** Three new rows, one repeat of the first, one that does not convert, one the table refuses. */
    private static List<Map<String, Object>> sixRows() {
        LocalDateTime at = LocalDateTime.of(2026, 3, 4, 5, 6, 7);
        return List.of(
                row("T-1", "A", "PN-1", 1, at, "first"),
                row("T-2", "A", "PN-2", "2", "2026-03-04 05:06:07", null), // text converted to the column types
                row("T-1", "A", "PN-1", 1, at, "first again"),             // the same tracking_id: a duplicate
                row("T-3", "B", "PN-3", "many", at, null),                  // not an integer: rejected at conversion
                row("T-4", "B", "PN-4", 4, at, "x".repeat(2500)),           // too long for the table: refused by the database
                row("T-5", "B", "PN-5", 5L, at, ""));
    }

    private static Map<String, Object> row(String id, String plant, String part, Object quantity, Object at, String notes) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("tracking_id", id);
        row.put("plant", plant);
        row.put("part_number", part);
        row.put("quantity", quantity);
        row.put("produced_at", at);
        row.put("notes", notes);
        return row;
    }

    private static List<List<String>> rows(Connection c, String sql) throws Exception {
        List<List<String>> result = new java.util.ArrayList<>();
        try (ResultSet rs = c.createStatement().executeQuery(sql)) {
            while (rs.next()) {
                List<String> row = new java.util.ArrayList<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.add(String.valueOf(rs.getString(i)).trim());
                }
                result.add(row);
            }
        }
        return result;
    }
}
