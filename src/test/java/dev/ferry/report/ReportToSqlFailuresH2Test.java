package dev.ferry.report;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.report.ReportServer;
import dev.ferry.embedded.report.ReportServer.Defect;
import dev.ferry.embedded.report.ReportServer.Response;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.ferry.report.ReportToSqlFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Bad rows, bad responses, bad logins and an impatient schedule, against the NTLM report server and H2. */
class ReportToSqlFailuresH2Test {

    @Test
    void badRowsAreRejectedWithLineColumnAndReasonWhileTheRestLoads() throws Exception {
        String db = h2Url();
        try (ReportServer server = ntlmServer(100)) {
            server.behaviour().defect(3, Defect.WRONG_COLUMN_COUNT).defect(10, Defect.BAD_QUANTITY)
                    .defect(20, Defect.BAD_DATE).defect(30, Defect.OVERLONG_NOTES).defect(40, Defect.MISSING_TRACKING_ID);
            try (FerryUnderTest ferry = FerryUnderTest.start(settings(server, db, START.plusHours(1), 1))) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.read()).isEqualTo(400);
                assertThat(run.written()).isEqualTo(395);
                assertThat(run.deadLettered()).isEqualTo(5);
                assertThat(run.read()).isEqualTo(run.written() + run.duplicate() + run.deadLettered());
            }
            List<String> reasons = new ArrayList<>();
            try (Connection c = DriverManager.getConnection(db, "sa", "");
                 ResultSet rs = c.createStatement().executeQuery(
                         "SELECT line_number, reason, raw_line, stage FROM report_to_sql_rejects ORDER BY line_number")) {
                while (rs.next()) {
                    assertThat(rs.getString(4)).isEqualTo("convert");
                    assertThat(rs.getString(2)).startsWith("line " + rs.getLong(1) + ", ");
                    assertThat(rs.getString(3)).isNotBlank();
                    reasons.add(rs.getString(2));
                }
            }
            assertThat(reasons).hasSize(5);
            assertThat(reasons.get(0)).endsWith("11 fields, expected 10");
            assertThat(reasons.get(1)).contains("column Quantity: '").contains("x' is not a whole number");
            assertThat(reasons.get(2)).contains("column ProducedAt: '2026-13-45 25:61:00' is not a timestamp");
            assertThat(reasons.get(3)).endsWith("column Notes: 5000 characters, at most 2000 allowed");
            assertThat(reasons.get(4)).endsWith("column TrackingId: required value missing");
            assertThat(count(db, "SELECT COUNT(*) FROM report_tracking")).isEqualTo(395);
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'SUCCEEDED' AND rows_read = 400"
                    + " AND rows_inserted = 395 AND rows_duplicate = 0 AND rows_rejected = 5")).isEqualTo(1);
        }
    }

    @Test
    void anHtmlErrorPageServedWith200FailsTheRunOnceWithWhatWasReceivedAndTheWatermarkStays() throws Exception {
        assertFailsOnceWithoutAdvancing(Response.htmlErrorWithStatus200(), "returned HTML instead of CSV", "rsProcessingAborted");
    }

    @Test
    void aBodyCutOffMidRowFailsTheRunAndTheWatermarkStays() throws Exception {
        assertFailsOnceWithoutAdvancing(Response.cutOffAfterRows(50), "ended abruptly", null);
    }

    @Test
    void aCompleteLookingBodyThatEndsMidRowFailsTheRun() throws Exception {
        assertFailsOnceWithoutAdvancing(Response.truncatedAfterRows(50), "cut off", "after 50 complete rows");
    }

    @Test
    void anEmptyBodyOrAnotherHeaderFailsTheRun() throws Exception {
        assertFailsOnceWithoutAdvancing(Response.emptyBody(), "empty body", null);
        assertFailsOnceWithoutAdvancing(Response.renamedHeaderColumn(), "header does not match", "Qty");
    }

    private void assertFailsOnceWithoutAdvancing(Response response, String reason, String detail) throws Exception {
        String db = h2Url();
        try (ReportServer server = ntlmServer(100)) {
            server.enqueue(response);
            try (FerryUnderTest ferry = FerryUnderTest.start(settings(server, db, START.plusHours(1), 1))) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(run.failure()).contains(reason)
                        .as("names the host, never says null").contains("127.0.0.1:" + server.port()).doesNotContain("null");
                if (detail != null) {
                    assertThat(run.failure()).contains(detail);
                }
                assertThat(run.read()).isEqualTo(run.written() + run.duplicate() + run.deadLettered());
                // not hammered: the one request, no retry
                assertThat(server.authenticatedRequests()).hasSize(1);
            }
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'SUCCEEDED'")).isZero();
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'FAILED' AND error LIKE '%"
                    + reason + "%'")).isEqualTo(1);
        }
    }

    @Test
    void aWrongPasswordIsTriedOnceNeverInALoopAndNeverLocksTheAccount() throws Exception {
        String db = h2Url();
        try (ReportServer server = ntlmServer(100)) {
            server.behaviour().lockAfterFailedLogins(2);
            Map<String, String> settings = settings(server, db, START.plusHours(1), 1);
            settings.put("ferry.report-to-sql.password", "wrong-password-123");
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(run.failure()).contains("401").doesNotContain("wrong-password-123");
                assertThat(run.retried()).isZero();
            }
            assertThat(server.stats().failedLogins()).isEqualTo(1);
            assertThat(server.isLocked()).isFalse();
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'SUCCEEDED'")).isZero();
        }
    }

    @Test
    void a429IsRetriedWithBackoffAndTheRunThenSucceeds() throws Exception {
        String db = h2Url();
        try (ReportServer server = ntlmServer(10)) {
            server.enqueue(Response.tooManyRequests(Duration.ZERO), Response.status(503));
            try (FerryUnderTest ferry = FerryUnderTest.start(settings(server, db, START.plusHours(1), 1))) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.retried()).isEqualTo(2);
                assertThat(run.written()).isEqualTo(40);
            }
        }
    }

    @Test
    void catchUpLoadsOldestFirstOneRequestAtATimeWithTheMinimumIntervalAndNeverHitsTheLockout() throws Exception {
        String db = h2Url();
        try (ReportServer server = ntlmServer(10)) {
            server.behaviour().lockAfterRequests(6, Duration.ofMinutes(5));
            Map<String, String> settings = settings(server, db, START.plusHours(6), 1);
            settings.put("ferry.report-to-sql.min-request-interval-ms", "300");
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                List<RunAccount> runs = awaitRuns(ferry, 6);
                assertThat(runs).allSatisfy(r -> assertThat(r.status()).isEqualTo(RunAccount.Status.SUCCEEDED));
            }
            List<ReportServer.RecordedRequest> requests = server.authenticatedRequests();
            assertThat(requests).hasSize(6);
            for (int i = 0; i < requests.size(); i++) {
                assertThat(requests.get(i).from()).isEqualTo(START.plusHours(i));
                assertThat(requests.get(i).params("Plant")).containsExactlyElementsOf(PLANTS);
                if (i > 0) {
                    // the pacer spaces the starts of requests; the server records the authenticated leg of the NTLM
                    // handshake, which may come a few round trips later
                    assertThat(Duration.between(requests.get(i - 1).time(), requests.get(i).time())).isGreaterThanOrEqualTo(Duration.ofMillis(150));
                }
            }
            assertThat(server.isLocked()).isFalse();
            assertThat(server.stats().maxInFlight()).isEqualTo(1);
            assertThat(count(db, "SELECT COUNT(*) FROM report_tracking")).isEqualTo(6 * 4 * 10);
        }
    }

    @Test
    void overlappingWindowsLoadEachRowOnceAndCountTheOverlapAsDuplicates() throws Exception {
        String db = h2Url();
        try (ReportServer server = ntlmServer(10)) {
            Map<String, String> settings = settings(server, db, START.plusHours(3), 1);
            settings.put("ferry.report-to-sql.overlap-hours", "1");
            settings.put("ferry.report-to-sql.min-request-interval-ms", "0");
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                List<RunAccount> runs = awaitRuns(ferry, 3);
                // windows [00,01) [00,02) [01,03): 40 + 80 + 80 rows read, 120 distinct
                assertThat(runs).extracting(RunAccount::read).containsExactly(40L, 80L, 80L);
                assertThat(runs).extracting(RunAccount::written).containsExactly(40L, 40L, 40L);
                assertThat(runs).extracting(RunAccount::duplicate).containsExactly(0L, 40L, 40L);
            }
            assertThat(actual(db, "report_tracking")).isEqualTo(expected(server, START, START.plusHours(3)));
        }
    }
}
