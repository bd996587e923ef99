package dev.ferry.report;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.report.ReportServer;
import dev.ferry.embedded.report.ReportServer.Response;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.ferry.report.ReportToSqlFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/** How a retry waits for the report server: never a second render beside the first, and Retry-After honoured. */
class ReportToSqlPacingTest {

    @Test
    void aRetryAfterAReadTimeoutWaitsForTheAbandonedRenderSoTheServerNeverRendersTwoAtOnce() throws Exception {
        String db = h2Url();
        try (ReportServer server = ntlmServer(10)) {
            // the first render takes 2.5 s, longer than Ferry waits for it; the server goes on rendering regardless
            server.enqueue(Response.normal().renderDelay(Duration.ofMillis(2500)));
            Map<String, String> settings = settings(server, db, START.plusHours(1), 1);
            settings.put("ferry.report-to-sql.read-timeout-ms", "1000");
            // 1.5 s more than the render: room for the NTLM handshake and a busy machine
            settings.put("ferry.report-to-sql.max-render-ms", "4000");
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.retried()).isEqualTo(1);
                assertThat(run.written()).isEqualTo(40);
                assertThat(run.read()).isEqualTo(run.written() + run.duplicate() + run.deadLettered());
            }
            // Without the wait, the retry arrived 100-400 ms after the timeout, while the first render had 1.5 s to go.
            assertThat(server.stats().maxInFlight()).isEqualTo(1);
            List<ReportServer.RecordedRequest> requests = server.authenticatedRequests();
            assertThat(requests).hasSize(2);
            // the retry came after the abandoned render had ended (2.5 s), not after the 100-400 ms backoff
            assertThat(Duration.between(requests.get(0).time(), requests.get(1).time()))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(2500));
            assertThat(count(db, "SELECT COUNT(*) FROM report_tracking")).isEqualTo(40);
        }
    }

    @Test
    void retryAfterOn429And503IsHonouredUpToItsMaximum() throws Exception {
        String db = h2Url();
        try (ReportServer server = ntlmServer(10)) {
            server.enqueue(Response.tooManyRequests(Duration.ofSeconds(2)), Response.serviceUnavailable(Duration.ofSeconds(60)));
            Map<String, String> settings = settings(server, db, START.plusHours(1), 1);
            settings.put("ferry.report-to-sql.retry-after-max-ms", "3000");
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.retried()).isEqualTo(2);
                assertThat(run.written()).isEqualTo(40);
                assertThat(run.read()).isEqualTo(run.written() + run.duplicate() + run.deadLettered());
                // the 429 asked Ferry to slow down; the 503 (unavailable) is not counted as throttling
                assertThat(ferry.get("metrics").body()).contains("ferry_throttled_total{pipeline=\"report-to-sql\"} 1.0")
                        .contains("ferry_throttled_total{pipeline=\"s3-to-opensearch\"} 0.0");
            }
            List<ReportServer.RecordedRequest> requests = server.authenticatedRequests();
            assertThat(requests).extracting(ReportServer.RecordedRequest::status).containsExactly(429, 503, 200);
            // backoff alone is 100-400 ms: the 2 s asked for by the 429, then the 60 s of the 503 cut to 3 s
            assertThat(Duration.between(requests.get(0).time(), requests.get(1).time()))
                    .isBetween(Duration.ofMillis(1950), Duration.ofSeconds(10));
            assertThat(Duration.between(requests.get(1).time(), requests.get(2).time()))
                    .isBetween(Duration.ofMillis(2950), Duration.ofSeconds(10));
        }
    }
}
