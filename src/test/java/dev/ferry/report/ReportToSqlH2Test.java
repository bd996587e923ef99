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
}
