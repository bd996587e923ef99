package dev.ferry.report;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.report.ReportServer;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;

import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;

import static dev.ferry.report.ReportToSqlFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/** report-to-sql end to end: the embedded report server with NTLM, Ferry in-process, H2 in SQL Server mode. */
class ReportToSqlH2Test {

    @Test
    void aHundredThousandRowReportLoadsExactlyAndASecondRunOverTheSameWindowCountsOnlyDuplicates() throws Exception {
        String db = h2Url();
        LocalDateTime until = START.plusHours(25); // 25 h x 4 plants x 1000 rows = 100,000
        try (ReportServer server = ntlmServer(1000)) {
            try (FerryUnderTest ferry = FerryUnderTest.start(settings(server, db, until, 25))) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.read()).isEqualTo(100_000);
                assertThat(run.written()).isEqualTo(100_000);
                assertThat(run.duplicate()).isZero();
                assertThat(run.deadLettered()).isZero();
                assertThat(run.peakUnaccounted()).as("rows converted and not yet written, at most a batch per writer")
                        .isPositive().isLessThanOrEqualTo(2 * 1000);
            }
            Map<String, List<String>> expected = expected(server, START, until);
            assertThat(expected).hasSize(100_000);
            assertThat(actual(db, "report_tracking")).isEqualTo(expected);
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'SUCCEEDED' AND rows_read = 100000"
                    + " AND rows_inserted = 100000 AND rows_duplicate = 0 AND rows_rejected = 0"
                    + " AND window_start = '2026-01-01 00:00:00' AND window_end = '2026-01-02 01:00:00'")).isEqualTo(1);
            assertThat(server.stats().maxInFlight()).isEqualTo(1);

            // An operator replays the window (forgets its run): everything read again is a duplicate.
            try (var c = java.sql.DriverManager.getConnection(db, "sa", "")) {
                c.createStatement().executeUpdate("DELETE FROM report_to_sql_runs");
            }
            try (FerryUnderTest ferry = FerryUnderTest.start(settings(server, db, until, 25))) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.read()).isEqualTo(100_000);
                assertThat(run.written()).isZero();
                assertThat(run.duplicate()).isEqualTo(100_000);
            }
            assertThat(count(db, "SELECT COUNT(*) FROM report_tracking")).isEqualTo(100_000);
        }
    }

    /**
     * One writer and small batches: the split's next step and each batch share the writers' pool. With a queue too
     * short for both, every step ran inside the one before (caller-runs), the stack grew with every batch, and at a
     * few hundred batches the run stopped without a word (the overflow ended inside the pool's future).
     */
    @Test
    void oneWriterAndTwoThousandSmallBatchesFinishTheRun() throws Exception {
        String db = h2Url();
        LocalDateTime until = START.plusHours(25);
        try (ReportServer server = ntlmServer(1000)) {
            Map<String, String> settings = settings(server, db, until, 25);
            settings.put("ferry.report-to-sql.writers", "1");
            settings.put("ferry.report-to-sql.batch-size", "50");
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.read()).isEqualTo(100_000);
                assertThat(run.written()).isEqualTo(100_000);
                assertThat(run.peakUnaccounted()).as("one writer holds one converted batch at a time").isEqualTo(50);
            }
            assertThat(count(db, "SELECT COUNT(*) FROM report_tracking")).isEqualTo(100_000);
        }
    }

    /**
     * A tick every second and a load of several seconds: the timer waits for the run (loading included), so the next
     * tick finds the window done. A second run beside the first would read the same window again, as duplicates.
     */
    @Test
    void aRunSlowerThanThePeriodDelaysTheNextRunInsteadOfOverlappingIt() throws Exception {
        String db = h2Url();
        LocalDateTime until = START.plusHours(25);
        try (ReportServer server = ntlmServer(1000)) {
            Map<String, String> settings = settings(server, db, until, 25);
            settings.put("ferry.report-to-sql.period-ms", "1000"); // the shortest allowed
            settings.put("ferry.report-to-sql.writers", "1");
            settings.put("ferry.report-to-sql.batch-size", "200");
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.written()).isEqualTo(100_000);
                assertThat(run.duplicate()).isZero();
                Thread.sleep(2500); // more ticks, each finding nothing due
                assertThat(runs(ferry).finished()).as("runs").hasSize(1);
                assertThat(runs(ferry).active()).as("runs in progress").isEmpty();
            }
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs")).isEqualTo(1);
            assertThat(server.stats().csvResponses()).isEqualTo(1);
        }
    }
}
