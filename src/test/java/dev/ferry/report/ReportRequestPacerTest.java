package dev.ferry.report;

import dev.ferry.accounting.PipelineMetrics;
import dev.ferry.accounting.RetryCounter;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.sqlload.ColumnMapping;
import dev.ferry.sqlload.RowHasher;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Retry-After as the report server may send it: seconds or an HTTP date. */
class ReportRequestPacerTest {

    @Test
    void retryAfterIsReadAsSecondsOrAsAnHttpDate() {
        long now = ZonedDateTime.of(2026, 11, 30, 12, 0, 0, 0, ZoneOffset.UTC).toInstant().toEpochMilli();
        assertThat(ReportRequestPacer.retryAfterMillis("120", now)).isEqualTo(120_000);
        assertThat(ReportRequestPacer.retryAfterMillis(" 0 ", now)).isZero();
        String inNinetySeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                ZonedDateTime.of(2026, 11, 30, 12, 1, 30, 0, ZoneOffset.UTC));
        assertThat(inNinetySeconds).isEqualTo("Mon, 30 Nov 2026 12:01:30 GMT");
        assertThat(ReportRequestPacer.retryAfterMillis(inNinetySeconds, now)).isEqualTo(90_000);
        assertThat(ReportRequestPacer.retryAfterMillis("Mon, 30 Nov 2026 11:00:00 GMT", now)).as("in the past").isZero();
        assertThat(ReportRequestPacer.retryAfterMillis("soon", now)).isZero();
        assertThat(ReportRequestPacer.retryAfterMillis(null, now)).isZero();
    }

    /**
     * A run asked to stop (the replica lost the lead) while its request waits for its turn: the wait ends at once and
     * the request is not sent; a batch of that run is not converted either.
     */
    @Test
    void aRunAskedToStopSendsNoRequestAndConvertsNoBatch() throws Exception {
        Runs runs = new Runs(new PipelineMetrics(() -> new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
        ReportRequestPacer pacer = new ReportRequestPacer(600_000, 1_000, 1_000, 1_000, "http://reports.example:8080/ReportServer");
        pacer.requestStarting(); // the next request's turn is 10 minutes away
        RunAccount run = runs.begin("report-to-sql", "window");
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.start();
            Exchange exchange = new DefaultExchange(context);
            exchange.setProperty(RetryCounter.RUN_PROPERTY, run);
            CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> pacer.awaitNextRequest(exchange));
            while (!pacer.waiting()) {
                Thread.sleep(10);
            }
            ReportRunRecorder recorder = new ReportRunRecorder(runs, null, "report", pacer);
            long t0 = System.nanoTime();
            assertThat(recorder.stopRunning()).isEqualTo(1);
            assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(ReportStoppingException.class)
                    .hasMessageContaining(ReportRunRecorder.NOT_LEADING + ": the request to the report server"
                            + " reports.example:8080 was not sent");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("woken, not at its next check")
                    .isLessThan(500);
        }
        ColumnMapping mapping = ColumnMapping.parse("TrackingId = tracking_id : text(40)");
        RowConverter converter = new RowConverter(mapping, new RowHasher(mapping, List.of()));
        assertThatThrownBy(() -> converter.convert(List.of(), run)).isInstanceOf(ReportStoppingException.class)
                .hasMessageContaining("the rest of the report was not loaded");
        assertThat(run.read()).isZero();
    }

    /**
     * The next window of a catch-up, begun after this replica stopped leading: its run is recorded and stopped at
     * once, so its request is never sent and the catch-up ends; the leader loads it.
     */
    @Test
    void aWindowBegunAfterTheLeadWasLostIsStoppedBeforeItsRequest() throws Exception {
        org.h2.jdbcx.JdbcDataSource db = new org.h2.jdbcx.JdbcDataSource();
        db.setURL(ReportToSqlFixture.h2Url());
        dev.ferry.sql.Migrations.migrate(db, "classpath:db/report-to-sql/{vendor}",
                java.util.Map.of("target_table", "t", "rejects_table", "r", "run_table", "runs"));
        Runs runs = new Runs(new PipelineMetrics(() -> new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
        ReportRequestPacer pacer = new ReportRequestPacer(0, 1_000, 1_000, 1_000, "http://reports.example/ReportServer");
        ReportRunRecorder recorder = new ReportRunRecorder(runs, new dev.ferry.sql.RunStateRepository(db, "runs",
                java.time.Clock.systemUTC()), "report", pacer);
        java.util.concurrent.atomic.AtomicBoolean leads = new java.util.concurrent.atomic.AtomicBoolean(true);
        recorder.whileLeading(leads::get);
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.start();
            java.time.LocalDateTime start = java.time.LocalDateTime.parse("2026-01-01T00:00");
            Exchange first = new DefaultExchange(context);
            first.getMessage().setBody(new ReportWindow(start, start.plusHours(1)));
            recorder.begin(first);
            assertThat(first.getProperty(RetryCounter.RUN_PROPERTY, RunAccount.class).stopReason()).isNull();

            leads.set(false);
            Exchange next = new DefaultExchange(context);
            next.getMessage().setBody(new ReportWindow(start.plusHours(1), start.plusHours(2)));
            recorder.begin(next);
            RunAccount run = next.getProperty(RetryCounter.RUN_PROPERTY, RunAccount.class);
            assertThat(run.stopReason()).isEqualTo(ReportRunRecorder.NOT_LEADING);
            assertThatThrownBy(() -> pacer.awaitNextRequest(next)).isInstanceOf(ReportStoppingException.class)
                    .hasMessage(ReportRunRecorder.NOT_LEADING + ": the request to the report server reports.example:80"
                            + " was not sent");
        }
    }
}
