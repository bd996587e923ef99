package dev.ferry.accounting;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Run events without servers: a bare CamelContext with the real routes/run-events.camel.yaml (or an operator's
 * replacement of its route), a Runs ledger wired as FerryBeans wires it, and the log captured.
 */
class RunEventsTest {

    private static final Path DEFAULT_ROUTES = Path.of("routes", "run-events.camel.yaml");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final PipelineMetrics metrics = new PipelineMetrics(() -> registry);
    private final StringWriter printed = new StringWriter();
    private CamelContext camel;
    private Runs runs;
    private WriterAppender capture;

    @BeforeEach
    void setUp() {
        camel = new DefaultCamelContext();
        runs = new Runs(metrics, new RunEvents(camel, metrics));
        metrics.register("s3-to-opensearch");
        metrics.register("report-to-sql");
        LoggerContext logContext = (LoggerContext) LogManager.getContext(false);
        capture = WriterAppender.newBuilder().setName("capture-" + System.nanoTime()).setTarget(printed)
                .setLayout(PatternLayout.newBuilder().withPattern("%-5level %c{1} - %msg%n%ex").build()).build();
        capture.start();
        logContext.getConfiguration().getRootLogger().addAppender(capture, null, null);
        logContext.updateLoggers();
    }

    @AfterEach
    void tearDown() {
        camel.stop();
        LoggerContext logContext = (LoggerContext) LogManager.getContext(false);
        Configuration logConfig = logContext.getConfiguration();
        logConfig.getRootLogger().removeAppender(capture.getName());
        logContext.updateLoggers();
        capture.stop();
    }

    @Test
    void anEventRouteThatThrowsLeavesTheRunAsItEndedCountsTheFailureAndLogsItOnceWithoutTheWebhooksPath() throws Exception {
        // the default file's route configuration, and an operator's route of the same id that fails like a webhook
        loadRoutes(Files.readString(DEFAULT_ROUTES).replace("id: ferry-run-finished", "id: ferry-run-finished-default")
                .replace("uri: direct:ferry-run-finished", "uri: direct:unused-default"));
        loadRoutes("""
                - route:
                    id: ferry-run-finished
                    routeConfigurationId: ferry-run-events
                    from:
                      uri: direct:ferry-run-finished
                      steps:
                        - filter:
                            simple: "${body.deadLettered} > 0"
                            steps:
                              - throwException:
                                  exceptionType: java.io.IOException
                                  message: "POST http://hooks.example.org:8443/services/T000/B000/s3cr3tToken?x=1 answered 500"
                """);
        camel.start();

        RunAccount run = runs.begin("s3-to-opensearch", "bucket/a.ndjson").read(10).written(8).deadLettered(2);
        assertThat(runs.finish(run)).isSameAs(run); // does not throw
        assertThat(run.status()).isEqualTo(RunAccount.Status.SUCCEEDED);
        assertThat(run.read()).isEqualTo(10);
        assertThat(run.deadLettered()).isEqualTo(2);
        assertThat(runs.finished()).containsExactly(run);
        assertThat(metrics.value("s3-to-opensearch", PipelineMetrics.Count.RUNS_SUCCEEDED)).isEqualTo(1.0);
        assertThat(metrics.value("s3-to-opensearch", PipelineMetrics.Count.RUNS_FAILED)).isZero();
        assertThat(registry.scrape())
                .contains("ferry_run_events_failed_total{pipeline=\"s3-to-opensearch\"} 1.0")
                .contains("ferry_run_events_failed_total{pipeline=\"report-to-sql\"} 0.0");

        // a failed run stays failed, with its own reason, whatever the event route does
        RunAccount failed = runs.begin("report-to-sql", "window 1").read(3).written(1).deadLettered(1);
        runs.fail(failed, "report server answered 503");
        assertThat(failed.status()).isEqualTo(RunAccount.Status.FAILED);
        assertThat(failed.failure()).isEqualTo("report server answered 503");
        assertThat(metrics.value("report-to-sql", PipelineMetrics.Count.RUN_EVENTS_FAILED)).isEqualTo(1.0);

        // a run the route does not fail on (no dead letters) is not counted
        runs.finish(runs.begin("s3-to-opensearch", "bucket/b.ndjson").read(4).written(4));
        assertThat(metrics.value("s3-to-opensearch", PipelineMetrics.Count.RUN_EVENTS_FAILED)).isEqualTo(1.0);

        String log = printed.toString();
        assertThat(log.lines().filter(l -> l.startsWith("ERROR RunEvents")))
                .hasSize(2)
                .first().asString()
                .contains("run " + run.runId())
                .contains("in route ferry-run-finished")
                .contains("java.io.IOException: POST http://hooks.example.org:8443/... answered 500")
                .contains("the run stays SUCCEEDED");
        assertThat(log).doesNotContain("s3cr3tToken").doesNotContain("Exhausted after delivery attempt");
    }

    @Test
    void theEventIsSentSynchronouslyAfterTheOutcomeWithGettersAndHeadersTheSimpleFormsAndJacksonRead() throws Exception {
        List<Map<String, Object>> seen = new CopyOnWriteArrayList<>();
        Thread caller = Thread.currentThread();
        Processor record = exchange -> seen.add(Map.of(
                "json", exchange.getMessage().getBody(String.class),
                "headers", Map.copyOf(exchange.getMessage().getHeaders()),
                "sameThread", Thread.currentThread() == caller,
                // the run's outcome is final and its summary logged before the event leaves
                "finishedBefore", runs.finished().stream().anyMatch(r -> r.runId().equals(
                        exchange.getMessage().getHeader(RunEvents.HEADER_RUN_ID)))));
        camel.getRegistry().bind("record", record);
        loadRoutes("""
                - route:
                    id: ferry-run-finished
                    from:
                      uri: direct:ferry-run-finished
                      steps:
                        - filter:
                            simple: "${body.deadLettered} > 0 || ${body.status} == 'FAILED'"
                            steps:
                              - marshal:
                                  json: {}
                              - process:
                                  ref: record
                """);
        camel.start();

        runs.finish(runs.begin("s3-to-opensearch", "bucket/clean.ndjson").read(5).written(5));
        RunAccount dead = runs.finish(runs.begin("s3-to-opensearch", "bucket/dead.ndjson").read(5).written(3).duplicate(1).deadLettered(1));
        RunAccount unbalanced = runs.finish(runs.begin("report-to-sql", "window 2").read(7).written(5));

        assertThat(seen).hasSize(2); // the clean run passed the filter's false branch
        Map<String, Object> first = seen.get(0);
        assertThat(first).containsEntry("sameThread", true).containsEntry("finishedBefore", true);
        assertThat((Map<String, Object>) first.get("headers")).containsEntry("FerryPipeline", "s3-to-opensearch")
                .containsEntry("FerryRunStatus", "SUCCEEDED").containsEntry("FerryRunId", dead.runId());
        assertThat((String) first.get("json")).contains("\"pipeline\":\"s3-to-opensearch\"")
                .contains("\"subject\":\"bucket/dead.ndjson\"").contains("\"status\":\"SUCCEEDED\"")
                .contains("\"succeeded\":true").contains("\"read\":5").contains("\"written\":3")
                .contains("\"duplicate\":1").contains("\"deadLettered\":1").contains("\"unaccounted\":0")
                .contains("\"runId\":\"" + dead.runId() + "\"").contains("\"failure\":null");
        // an unbalanced run is an event too: failed, with the records it lost
        assertThat((String) seen.get(1).get("json")).contains("\"status\":\"FAILED\"").contains("\"unaccounted\":2")
                .contains("\"failure\":\"records unaccounted for: read=7");
        assertThat(unbalanced.status()).isEqualTo(RunAccount.Status.FAILED);
        assertThat(metrics.value("s3-to-opensearch", PipelineMetrics.Count.RUN_EVENTS_FAILED)).isZero();
    }

    @Test
    void withoutAnEventRouteOrWithCamelStoppedRunsEndAsBeforeAndTheGapIsSaidOnce() throws Exception {
        camel.start(); // no route on direct:ferry-run-finished (an operator deleted it)

        RunAccount a = runs.finish(runs.begin("s3-to-opensearch", "bucket/a").read(2).written(2));
        RunAccount b = runs.finish(runs.begin("s3-to-opensearch", "bucket/b").read(2).written(1).deadLettered(1));
        assertThat(a.status()).isEqualTo(RunAccount.Status.SUCCEEDED);
        assertThat(b.status()).isEqualTo(RunAccount.Status.SUCCEEDED);
        assertThat(metrics.value("s3-to-opensearch", PipelineMetrics.Count.RUN_EVENTS_FAILED)).isZero();

        camel.stop();
        RunAccount c = runs.fail(runs.begin("s3-to-opensearch", "bucket/c").read(1), "Ferry stopped mid-object");
        runs.fail(runs.begin("s3-to-opensearch", "bucket/d"), "Ferry stopped mid-object");
        assertThat(c.status()).isEqualTo(RunAccount.Status.FAILED);
        assertThat(metrics.value("s3-to-opensearch", PipelineMetrics.Count.RUN_EVENTS_FAILED)).isZero();

        List<String> said = printed.toString().lines().filter(l -> l.contains("RunEvents")).toList();
        assertThat(said).hasSize(2);
        assertThat(said.get(0)).startsWith("WARN").contains("no route consumes direct:ferry-run-finished")
                .contains("run=" + a.runId());
        assertThat(said.get(1)).startsWith("INFO").contains("Camel is stopping").contains("run " + c.runId());
    }

    @Test
    void theDefaultRouteTakesEveryEventAndOnlyLogs() throws Exception {
        loadRoutes(Files.readString(DEFAULT_ROUTES));
        camel.start();
        assertThat(camel.getRoute("ferry-run-finished").getEndpoint().getEndpointUri()).isEqualTo("direct://ferry-run-finished");

        NotifyBuilder delivered = new NotifyBuilder(camel).fromRoute("ferry-run-finished").whenCompleted(2).create();
        RunAccount run = runs.finish(runs.begin("s3-to-opensearch", "bucket/x").read(3).written(2).deadLettered(1));
        runs.fail(runs.begin("report-to-sql", "window 3"), "report server unreachable");
        assertThat(run.status()).isEqualTo(RunAccount.Status.SUCCEEDED);
        assertThat(delivered.matches()).isTrue(); // both delivered by the time finish/fail returned: no waiting
        assertThat(metrics.value("s3-to-opensearch", PipelineMetrics.Count.RUN_EVENTS_FAILED)).isZero();
        assertThat(printed.toString()).doesNotContain("RunEvents");
    }

    private void loadRoutes(String yaml) throws Exception {
        PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.fromString("test-" + System.nanoTime() + ".camel.yaml", yaml));
    }
}
