package dev.ferry.report;

import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.PostgresServer;
import dev.ferry.embedded.report.ReportServer;
import dev.ferry.testing.PackagedFerry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.ferry.report.ReportToSqlFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The process killed mid-run and restarted ends with exactly the expected rows. Ferry runs as a real child process
 * from the packaged layout (target/ferry/bin/ferry), loading a 200,000-row report from the NTLM report server into
 * the embedded PostgreSQL; it is killed with SIGKILL while batches are being committed, then started again.
 */
class ReportToSqlKillRestartIT {

    private static final int HOURS = 50; // 50 h x 4 plants x 1,000 rows = 200,000 rows, one window
    private static final long ROWS = 200_000;
    @Test
    void killedWhileLoadingAndRestartedTheTableEndsWithEveryRowOnceAndTheRunsBalance(@TempDir Path work) throws Exception {
        PostgresServer pg = EmbeddedServices.shared().postgres();
        String db = pg.createDatabase("rts_kill_" + Long.toHexString(System.nanoTime()));
        LocalDateTime until = START.plusHours(HOURS);
        try (ReportServer server = ntlmServer(1000)) {
            server.behaviour().renderDelay(Duration.ofMillis(300));
            Path spool = Files.createDirectory(work.resolve("spool"));
            Map<String, String> env = postgresSettings(server, db, pg, until, HOURS, spool);

            // First process: killed (SIGKILL, no shutdown hook) once some batches are committed, long before the end.
            Process first = start(work, "first.log", env);
            long seen;
            try {
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                        .until(() -> trackingRows(db) >= 5_000 || !first.isAlive());
                seen = trackingRows(db);
            } finally {
                first.destroyForcibly(); // bin/ferry execs java: this is the JVM itself
            }
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(first.exitValue()).as("killed, not finished: %s", log(work, "first.log")).isEqualTo(137);
            long committed = trackingRows(db);
            assertThat(seen).as("killed while loading: %s", log(work, "first.log")).isBetween(5_000L, ROWS - 1);
            assertThat(committed).as("rows committed when killed").isBetween(seen, ROWS - 1);
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'RUNNING'")).isEqualTo(1);
            assertThat(ReportToSqlSpoolTest.spoolFiles(spool)).as("the killed run's spool file").hasSize(1);
            System.out.printf("killed with %d of %d rows committed (%d seen)%n", committed, ROWS, seen);

            // Second process: marks the cut-short run ABANDONED and loads the window again.
            Process second = start(work, "second.log", env);
            try {
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                        .until(() -> count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status <> 'RUNNING'"
                                + " AND status <> 'ABANDONED'") >= 1 || !second.isAlive());
            } finally {
                second.destroy(); // SIGTERM: a clean stop
            }
            assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();

            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs")).isEqualTo(2);
            // the abandoned run's record counts the rows it had committed
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'ABANDONED'"
                    + " AND ended_at IS NOT NULL AND error LIKE '%process stopped during this run%'"
                    + " AND rows_inserted = " + committed + " AND rows_read = " + committed + " AND rows_rejected = 0"))
                    .isEqualTo(1);
            // the second process removed the killed run's spool file at start, and its own after its run
            assertThat(ReportToSqlSpoolTest.spoolFiles(spool)).isEmpty();
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'SUCCEEDED'"
                    + " AND rows_read = " + ROWS + " AND rows_inserted = " + (ROWS - committed)
                    + " AND rows_duplicate = " + committed + " AND rows_rejected = 0"
                    + " AND rows_read = rows_inserted + rows_duplicate + rows_filtered + rows_rejected"))
                    .as("the second run balances, counting the rows of the killed run as duplicates: %s", log(work, "second.log"))
                    .isEqualTo(1);

            // Exactly the expected rows: every TrackingId once, every value equal; nothing lost, nothing twice.
            assertThat(trackingRows(db)).isEqualTo(ROWS);
            assertThat(count(db, "SELECT COUNT(DISTINCT tracking_id) FROM report_tracking")).isEqualTo(ROWS);
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_rejects")).isZero();
            assertThat(actual(db, "report_tracking")).isEqualTo(expected(server, START, until));
            assertThat(log(work, "first.log") + log(work, "second.log")).doesNotContain(PASSWORD).doesNotContain(pg.password());
        }
    }

    private static Process start(Path work, String logName, Map<String, String> settings) throws IOException {
        return PackagedFerry.start(work, work.resolve(logName), settings);
    }

    private static String log(Path work, String name) throws IOException {
        return PackagedFerry.read(work.resolve(name));
    }
}
