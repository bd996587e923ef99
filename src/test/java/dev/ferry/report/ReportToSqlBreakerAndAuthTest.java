package dev.ferry.report;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.report.ReportServer;
import dev.ferry.embedded.report.ReportServer.Response;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.ferry.report.ReportToSqlFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The circuit breaker in front of the report server, and Basic authentication, against the embedded report server and H2. */
class ReportToSqlBreakerAndAuthTest {

    @Test
    void aBreakerOpensAfterRepeatedFailuresStopsAskingTheReportServerAndRecoversWhenItIsBack() throws Exception {
        String db = h2Url();
        try (ReportServer server = ntlmServer(10)) {
            server.behaviour().always(Response.status(503));
            Map<String, String> settings = settings(server, db, START.plusHours(1), 1);
            settings.put("ferry.report-to-sql.period-ms", "1000");
            settings.put("ferry.report-to-sql.min-request-interval-ms", "0");
            settings.put("ferry.retry.max-attempts", "1");
            settings.put("ferry.report-to-sql.circuit-breaker.minimum-calls", "3");
            settings.put("ferry.report-to-sql.circuit-breaker.open-seconds", "5");
            // room to read the breaker's gauge before the first request
            settings.put("ferry.report-to-sql.initial-delay-ms", "2000");
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                assertThat(breakerGauge(ferry)).isEqualTo(0.0);
                // Every request is a 503: each window is one request and one retry, each attempt a breaker call.
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                        .until(() -> runs(ferry).finished().stream().anyMatch(ReportToSqlBreakerAndAuthTest::breakerOpen));
                List<RunAccount> runs = runs(ferry).finished();
                int opened = indexOfFirstOpen(runs);
                // open: the gauge FerryReportCircuitBreakerOpen alerts on
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                        .until(() -> breakerGauge(ferry) == 1.0);
                assertThat(runs.subList(0, opened)).allSatisfy(r -> {
                    assertThat(r.failure()).contains("statusCode: 503");
                    assertThat(r.retried()).isEqualTo(1);
                });
                // It opened after exactly minimum-calls failed requests.
                assertThat(server.authenticatedRequests()).hasSize(3)
                        .allSatisfy(r -> assertThat(r.status()).isEqualTo(503));

                // Open: the next windows fail at once, are not retried, and the report server hears nothing.
                List<RunAccount> whileOpen = awaitRuns(ferry, opened + 3).subList(opened + 1, opened + 3);
                assertThat(whileOpen).allSatisfy(r -> {
                    assertThat(r.status()).isEqualTo(RunAccount.Status.FAILED);
                    assertThat(breakerOpen(r)).as(r.summary()).isTrue();
                    assertThat(r.retried()).isZero();
                    // not just "CallNotPermittedException": the server, and how the requests that opened it failed
                    assertThat(r.failure()).contains("report server 127.0.0.1:" + server.port() + " is open")
                            .contains("3 failed requests to 127.0.0.1:" + server.port() + " since the last success")
                            .contains("last: HTTP 503 Service Unavailable from " + server.baseUrl());
                });
                assertThat(server.authenticatedRequests()).hasSize(3);

                // The server is back; once the breaker half-opens, one trial request loads the window.
                server.behaviour().always(null);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                        .until(() -> runs(ferry).finished().stream().anyMatch(r -> r.status() == RunAccount.Status.SUCCEEDED));
                RunAccount recovered = runs(ferry).finished().stream()
                        .filter(r -> r.status() == RunAccount.Status.SUCCEEDED).findFirst().orElseThrow();
                assertThat(recovered.written()).isEqualTo(40);
                assertThat(server.authenticatedRequests()).hasSize(4);
                assertThat(server.authenticatedRequests().get(3).status()).isEqualTo(200);
                assertThat(breakerGauge(ferry)).as("half-open or closed after a successful trial: calls go through").isEqualTo(0.0);
                assertThat(runs(ferry).finished()).allSatisfy(r ->
                        assertThat(r.read()).isEqualTo(r.written() + r.duplicate() + r.deadLettered()));
            }
            assertThat(actual(db, "report_tracking")).isEqualTo(expected(server, START, START.plusHours(1)));
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'SUCCEEDED'")).isEqualTo(1);
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'FAILED'"
                    + " AND error LIKE '%is OPEN%' AND error LIKE '%last: HTTP 503%'")).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void basicAuthenticationLoadsTheReport() throws Exception {
        String db = h2Url();
        try (ReportServer server = basicServer()) {
            try (FerryUnderTest ferry = FerryUnderTest.start(basicSettings(server, db, PASSWORD))) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.written()).isEqualTo(40);
            }
            assertThat(server.authenticatedRequests()).singleElement()
                    .satisfies(r -> assertThat(r.user()).isEqualTo(USER));
            assertThat(actual(db, "report_tracking")).isEqualTo(expected(server, START, START.plusHours(1)));
        }
    }

    @Test
    void aWrongBasicPasswordFailsTheRunOnceAndIsNeverRetried() throws Exception {
        String db = h2Url();
        try (ReportServer server = basicServer()) {
            server.behaviour().lockAfterFailedLogins(2);
            try (FerryUnderTest ferry = FerryUnderTest.start(basicSettings(server, db, "wrong-basic-password-77"))) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(run.failure()).contains("401").doesNotContain("wrong-basic-password-77");
                assertThat(run.retried()).isZero();
            }
            assertThat(server.stats().failedLogins()).isEqualTo(1);
            assertThat(server.isLocked()).isFalse();
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'FAILED' AND error LIKE '%401%'"))
                    .isEqualTo(1);
        }
    }

    private static final Pattern BREAKER_GAUGE = Pattern.compile(
            "(?m)^ferry_circuit_breaker_open\\{name=\"report-server\",pipeline=\"report-to-sql\"} (\\S+)$");

    private static double breakerGauge(FerryUnderTest ferry) throws Exception {
        String metrics = ferry.get("metrics").body();
        Matcher m = BREAKER_GAUGE.matcher(metrics);
        assertThat(m.find()).as(metrics).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static boolean breakerOpen(RunAccount run) {
        return run.failure() != null && run.failure().contains("CallNotPermittedException")
                && run.failure().contains("is OPEN");
    }

    private static int indexOfFirstOpen(List<RunAccount> runs) {
        for (int i = 0; i < runs.size(); i++) {
            if (breakerOpen(runs.get(i))) {
                return i;
            }
        }
        return -1;
    }

    private static ReportServer basicServer() {
        return ReportServer.start(ReportServer.Settings.defaults().plants(PLANTS).rowsPerHour(10).basic(USER, PASSWORD));
    }

    private static Map<String, String> basicSettings(ReportServer server, String db, String password) {
        Map<String, String> settings = settings(server, db, START.plusHours(1), 1);
        settings.put("ferry.report-to-sql.auth-method", "basic");
        settings.remove("ferry.report-to-sql.domain");
        settings.put("ferry.report-to-sql.password", password);
        return settings;
    }
}
