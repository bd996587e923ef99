package dev.ferry.report;

import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.embedded.report.ReportServer;
import dev.ferry.embedded.report.ReportServer.Response;
import dev.ferry.testing.FerryUnderTest;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.ferry.report.ReportToSqlFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Stopping Ferry while a report-to-sql retry waits for its turn to ask the report server. */
class ReportToSqlStopTest {

    /**
     * The retry waits in the pacer (inside the circuit breaker) for a 2-minute min-request-interval. With the former
     * delay EIP the stop took 20.1 s: it waited out the 20 s shutdown timeout, forced the routes down, and the wait's
     * continuation met the stopped breaker ("NullPointerException ... this.this$0.circuitBreaker is null").
     */
    @Test
    void aStopWhileARetryWaitsInThePacerFailsTheRunAsStoppingAtOnce() throws Exception {
        String db = h2Url();
        StringWriter printed = new StringWriter();
        LoggerContext logContext = (LoggerContext) LogManager.getContext(false);
        Configuration logConfig = logContext.getConfiguration();
        WriterAppender capture = WriterAppender.newBuilder().setName("capture-" + System.nanoTime()).setTarget(printed)
                .setLayout(PatternLayout.newBuilder().withPattern("%-5level %c{1} - %msg%n%ex").build()).build();
        capture.start();
        logConfig.getRootLogger().addAppender(capture, null, null);
        logContext.updateLoggers();
        try (ReportServer server = ntlmServer(10)) {
            server.enqueue(Response.status(503)); // no Retry-After: the retry waits for min-request-interval-ms
            Map<String, String> settings = settings(server, db, START.plusHours(1), 1);
            settings.put("ferry.report-to-sql.min-request-interval-ms", "120000");
            settings.put("camel.main.shutdown-timeout", "20");
            FerryUnderTest ferry = FerryUnderTest.start(settings);
            Runs runs = runs(ferry);
            ReportRequestPacer pacer = ferry.bean("reportRequestPacer", ReportRequestPacer.class);
            long stopMillis;
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                        .until(() -> retryWaiting(pacer));
                long t0 = System.nanoTime();
                ferry.close();
                stopMillis = (System.nanoTime() - t0) / 1_000_000;
            } finally {
                ferry.close();
            }
            // the 2-minute wait ended with the stop, and nothing had to be forced (the shutdown timeout is 20 s)
            assertThat(stopMillis).as("stop took %d ms", stopMillis).isLessThan(10_000);
            List<RunAccount> finished = runs.finished();
            assertThat(finished).hasSize(1);
            RunAccount run = finished.get(0);
            assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.FAILED);
            assertThat(run.failure()).contains("Ferry is stopping").contains("127.0.0.1:" + server.port());
            assertThat(run.written()).isZero();
            // the retry was never sent
            assertThat(server.authenticatedRequests()).extracting(ReportServer.RecordedRequest::status).containsExactly(503);
            // the run record says why; no SUCCEEDED run, so the watermark stays and the window is loaded at the next start
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'FAILED'"
                    + " AND error LIKE '%Ferry is stopping%'")).isEqualTo(1);
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status <> 'FAILED'")).isZero();
        } finally {
            logConfig.getRootLogger().removeAppender(capture.getName());
            logContext.updateLoggers();
            capture.stop();
        }
        String log = printed.toString();
        assertThat(log).contains("report-to-sql catch-up stopped").contains("Ferry is stopping")
                .doesNotContain("NullPointerException").doesNotContain("circuitBreaker")
                .doesNotContain("Forcing").doesNotContain("Timeout occurred");
        // loud, as any failed run (the exhausted delivery and the run summary are ERROR lines), but only about the stop,
        // and no stack trace anywhere
        assertThat(log).containsPattern("ERROR Runs - run summary .*status=FAILED.*Ferry is stopping");
        assertThat(log.lines().filter(l -> l.startsWith("ERROR") && !l.contains("Ferry is stopping"))).as(log).isEmpty();
        assertThat(log.lines().filter(l -> l.startsWith("\tat "))).as(log).isEmpty();
    }

    private static boolean retryWaiting(ReportRequestPacer pacer) {
        return pacer.waiting();
    }
}
