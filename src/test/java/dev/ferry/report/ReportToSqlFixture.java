package dev.ferry.report;

import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.embedded.report.ReportServer;
import dev.ferry.embedded.report.TrackingReport;
import dev.ferry.testing.FerryUnderTest;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;

/** What the report-to-sql tests share: the settings that point Ferry at a report server and a database. */
final class ReportToSqlFixture {

    static final String DOMAIN = "CORP";
    static final String USER = "svc_ferry";
    static final String PASSWORD = "Rep0rt-s3cret!";
    static final List<String> PLANTS = List.of("A", "B", "C", "D");
    static final LocalDateTime START = LocalDateTime.parse("2026-01-01T00:00");

    private ReportToSqlFixture() {
    }

    static ReportServer ntlmServer(int rowsPerHour) {
        return ReportServer.start(ReportServer.Settings.defaults().plants(PLANTS).rowsPerHour(rowsPerHour)
                .ntlm(DOMAIN, USER, PASSWORD));
    }

    /** A private in-memory H2 database in SQL Server mode. */
    static String h2Url() {
        return "jdbc:h2:mem:rts-" + UUID.randomUUID() + ";MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE;DB_CLOSE_DELAY=-1";
    }

    /** Enables the pipeline against the server and database; windows from START, none past {@code until}. */
    static Map<String, String> settings(ReportServer server, String dbUrl, LocalDateTime until, int windowHours) {
        Map<String, String> s = new HashMap<>();
        s.put("ferry.report-to-sql.enabled", "true");
        s.put("ferry.db.url", dbUrl);
        s.put("ferry.report-to-sql.base-url", server.baseUrl());
        s.put("ferry.report-to-sql.report-path", server.settings() == null ? "/Manufacturing/Tracking" : "/Manufacturing/Tracking");
        s.put("ferry.report-to-sql.parameters", "Plant=" + String.join("|", PLANTS));
        s.put("ferry.report-to-sql.auth-method", "ntlm");
        s.put("ferry.report-to-sql.domain", DOMAIN);
        s.put("ferry.report-to-sql.user", USER);
        s.put("ferry.report-to-sql.password", PASSWORD);
        s.put("ferry.report-to-sql.start", START.toString());
        s.put("ferry.report-to-sql.until", until.toString());
        s.put("ferry.report-to-sql.window-hours", String.valueOf(windowHours));
        s.put("ferry.report-to-sql.initial-delay-ms", String.valueOf(dev.ferry.cluster.Leadership.MIN_FIRST_TICK_DELAY_MS));
        s.put("ferry.report-to-sql.min-request-interval-ms", "200");
        s.put("ferry.retry.initial-delay-ms", "100");
        s.put("ferry.retry.max-delay-ms", "400");
        s.put("ferry.retry.max-attempts", "3");
        return s;
    }

    /**
     * {@link #settings} for the embedded PostgreSQL (its credentials) and a spool directory of the process's own: what
     * a packaged Ferry (PackagedFerry) loading {@code hours} of the report into {@code db} needs.
     */
    static Map<String, String> postgresSettings(ReportServer server, String db, dev.ferry.embedded.PostgresServer pg,
                                                LocalDateTime until, int hours, java.nio.file.Path spool) {
        Map<String, String> s = settings(server, db, until, hours);
        s.put("ferry.report-to-sql.spool-dir", spool.toString());
        s.put("ferry.db.user", pg.user());
        s.put("ferry.db.password", pg.password());
        return s;
    }

    /** Rows in the report's target table, report_tracking. */
    static long trackingRows(String url) throws SQLException {
        return count(url, "SELECT COUNT(*) FROM report_tracking");
    }

    /** H2 as sa; PostgreSQL as the embedded server's user. */
    static Connection connect(String url) throws SQLException {
        return url.startsWith("jdbc:postgresql:")
                ? DriverManager.getConnection(url, dev.ferry.embedded.PostgresServer.USER, dev.ferry.embedded.PostgresServer.PASSWORD)
                : DriverManager.getConnection(url, "sa", "");
    }

    static Runs runs(FerryUnderTest ferry) {
        return ferry.bean("runs", Runs.class);
    }

    /** Waits until {@code n} runs of the pipeline have finished (succeeded or failed). */
    static List<RunAccount> awaitRuns(FerryUnderTest ferry, int n) {
        Runs runs = runs(ferry);
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
                .until(() -> runs.finished().size() >= n);
        return runs.finished();
    }

    static long count(String url, String sql) throws SQLException {
        try (Connection c = connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The expected row as the table should hold it, as strings: text as is, numbers and times normalized. */
    static Map<String, List<String>> expected(ReportServer server, LocalDateTime from, LocalDateTime to) {
        Map<String, List<String>> byId = new HashMap<>();
        server.expectedRows(from, to, PLANTS).forEachRemaining(r -> byId.put(r.trackingId(), tableValues(r)));
        return byId;
    }

    static List<String> tableValues(TrackingReport.Row r) {
        return List.of(r.get("TrackingId"), r.get("Plant"), r.get("Line"), r.get("PartNumber"), r.get("Quantity"),
                r.get("UnitWeightKg"), r.get("ProducedAt").replace(' ', 'T'), r.get("Operator"),
                Boolean.toString(Boolean.parseBoolean(r.get("QualityPassed"))), r.get("Notes"));
    }

    static Map<String, List<String>> actual(String url, String table) throws SQLException {
        Map<String, List<String>> byId = new HashMap<>();
        try (Connection c = connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT tracking_id, plant, line_no, part_number, quantity, unit_weight_kg,"
                     + " produced_at, operator_name, quality_passed, notes FROM " + table)) {
            while (rs.next()) {
                byId.put(rs.getString(1), List.of(rs.getString(1), rs.getString(2), String.valueOf(rs.getInt(3)),
                        rs.getString(4), String.valueOf(rs.getInt(5)), rs.getBigDecimal(6).toPlainString(),
                        rs.getObject(7, LocalDateTime.class).toString().length() == 16
                                ? rs.getObject(7, LocalDateTime.class) + ":00" : rs.getObject(7, LocalDateTime.class).toString(),
                        rs.getString(8), Boolean.toString(rs.getBoolean(9)), rs.getString(10)));
            }
        }
        return byId;
    }
}
