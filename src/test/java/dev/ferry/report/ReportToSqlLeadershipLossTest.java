package dev.ferry.report;

import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.embedded.report.ReportServer;
import dev.ferry.embedded.report.ReportServer.Response;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;

import static dev.ferry.report.ReportToSqlFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A report-to-sql leader that loses the lead while it lives stops its window in flight at once: the report it was
 * receiving is dropped (not read to its end), the run fails saying why, and the watermark stays; the replica that
 * leads next loads the window, every row once. Here one replica on a lock directory loses its lock when the lock file
 * disappears (its next check finds it gone) while the report trickles in, and takes it again a lock interval
 * later. Without the stop the old leader would go on loading a window its successor loads too, and move the watermark.
 */
class ReportToSqlLeadershipLossTest {

    @TempDir
    Path work;

    @Test
    void aLeaderThatLosesTheLeadDropsTheReportInFlightAndTheNextLeaderLoadsTheWindow() throws Exception {
        String db = h2Url();
        LocalDateTime until = START.plusHours(2);
        Path locks = work.resolve("locks");
        try (ReportServer server = ntlmServer(500)) {
            // the first report (4,000 rows, about 480 KB) trickles in over about 3 s: the lead is lost meanwhile
            server.enqueue(Response.normal().trickle(Duration.ofMillis(100)));
            Map<String, String> settings = settings(server, db, until, 2);
            settings.put("ferry.report-to-sql.initial-delay-ms", "100");
            settings.put("ferry.report-to-sql.min-request-interval-ms", "0");
            settings.put("ferry.report-to-sql.period-ms", "600000");
            settings.putAll(FerryUnderTest.fileLockCluster(locks, 300, 2));
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                Runs runs = runs(ferry);
                await().atMost(Duration.ofSeconds(30)).until(() -> !runs.active().isEmpty());
                await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().inFlight() == 1);

                Files.delete(locks.resolve("ferry-report-to-sql"));
                Instant lost = Instant.now();
                await().atMost(Duration.ofSeconds(20)).until(() -> !runs.finished().isEmpty());
                Duration stoppedAfter = Duration.between(lost, Instant.now());
                RunAccount stopped = runs.finished().get(0);
                assertThat(stopped.status()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(stopped.failure()).contains("this replica no longer leads report-to-sql")
                        .containsPattern("the report from 127\\.0\\.0\\.1:\\d+ was dropped after \\d+ bytes");
                assertThat(stopped.read()).as("no row of the dropped report loaded").isZero();
                assertThat(stoppedAfter).as("stopped mid-report, not after the shutdown timeout")
                        .isLessThan(Duration.ofSeconds(10));
                // dropped: the report server could not send the rest (closing the body would have read it all first)
                await().atMost(Duration.ofSeconds(20)).until(() -> server.stats().inFlight() == 0);
                assertThat(server.stats().rowsServed()).as("the first report was not sent whole").isZero();
                long expected = expected(server, START, until).size();

                // leading again, the replica loads the window from the watermark, which did not move
                await().atMost(Duration.ofMinutes(1)).until(() -> runs.finished().size() == 2);
                RunAccount loaded = runs.finished().get(1);
                assertThat(loaded.status()).as(loaded.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(loaded.read()).isEqualTo(expected);
                assertThat(loaded.written()).isEqualTo(expected);
                assertThat(trackingRows(db)).isEqualTo(expected);
                assertThat(server.stats().rowsServed()).as("only the new leader's report was sent whole").isEqualTo(expected);
                assertThat(actual(db, "report_tracking")).isEqualTo(expected(server, START, until));
                assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'FAILED'"
                        + " AND error LIKE '%no longer leads report-to-sql%'")).isEqualTo(1);
                assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'SUCCEEDED'")).isEqualTo(1);
                List<ReportServer.RecordedRequest> requests = server.authenticatedRequests();
                assertThat(requests).as("the dropped request and the new leader's").hasSize(2);
            }
        }
    }
}
