package dev.ferry;

import dev.ferry.accounting.PipelineMetrics;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** /observe/health and /observe/metrics answer while Ferry runs, and carry Ferry's own readiness and counters. */
class ObservabilityTest {

    @Test
    void healthReportsTheDatabaseTheEnabledPipelineNeedsAndMetricsCarryPipelineCounters() throws Exception {
        try (FerryUnderTest ferry = FerryUnderTest.start(Map.of("ferry.report-to-sql.enabled", "true",
                // switched on for its database readiness check only: no report server here, no run during the test
                "ferry.report-to-sql.auth-method", "none",
                "ferry.report-to-sql.initial-delay-ms", "600000",
                "camel.health.exposure-level", "full"))) {
            HttpResponse<String> health = ferry.get("health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).startsWith("{\"status\":\"UP\"")
                    .contains("{\"name\":\"database\",\"status\":\"UP\"");

            Runs runs = ferry.bean("runs", Runs.class);
            RunAccount run = runs.begin("report-to-sql", "window 2026-01-01T00/01");
            run.read(10).written(7).duplicate(2).deadLettered(1);
            runs.finish(run);
            assertThat(run.status()).isEqualTo(RunAccount.Status.SUCCEEDED);

            HttpResponse<String> metrics = ferry.get("metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body())
                    .contains("ferry_records_read_total{pipeline=\"report-to-sql\"} 10.0")
                    .contains("ferry_records_written_total{pipeline=\"report-to-sql\"} 7.0")
                    .contains("ferry_records_duplicate_total{pipeline=\"report-to-sql\"} 2.0")
                    .contains("ferry_records_dead_lettered_total{pipeline=\"report-to-sql\"} 1.0")
                    .contains("ferry_runs_succeeded_total{pipeline=\"report-to-sql\"} 1.0")
                    // every pipeline's counters exist at zero before its first run
                    .contains("ferry_records_read_total{pipeline=\"s3-to-opensearch\"} 0.0")
                    .contains("ferry_runs_failed_total{pipeline=\"opensearch-to-s3\"} 0.0");
        }
    }

    @Test
    void aRunThatDoesNotBalanceIsFailedNotCalledASuccess() throws Exception {
        try (FerryUnderTest ferry = FerryUnderTest.start(Map.of())) {
            Runs runs = ferry.bean("runs", Runs.class);
            RunAccount run = runs.begin("s3-to-opensearch", "bucket/key.ndjson.gz");
            run.read(5).written(4);
            runs.finish(run);
            assertThat(run.status()).isEqualTo(RunAccount.Status.FAILED);
            assertThat(run.failure()).contains("records unaccounted for: read=5 but written+duplicate+dead_lettered=4");
            assertThat(runs.metrics().value("s3-to-opensearch", PipelineMetrics.Count.RUNS_FAILED)).isEqualTo(1.0);
            assertThat(ferry.get("metrics").body()).contains("ferry_runs_failed_total{pipeline=\"s3-to-opensearch\"} 1.0")
                    .contains("ferry_runs_unbalanced_total{pipeline=\"s3-to-opensearch\"} 1.0")
                    .contains("ferry_runs_unbalanced_total{pipeline=\"report-to-sql\"} 0.0");
        }
    }

    @Test
    void readinessIsDownWhenAServiceAnEnabledPipelineNeedsIsUnreachableAndSaysWhichWithoutSecrets() throws Exception {
        int closedPort = FerryUnderTest.freePort();
        try (FerryUnderTest ferry = FerryUnderTest.start("dev", Map.of(
                "ferry.s3-to-opensearch.enabled", "true",
                "ferry.opensearch.hosts", "127.0.0.1:" + closedPort,
                "ferry.opensearch.user", "ferry",
                "ferry.opensearch.password", "opensearch-secret-7",
                "ferry.s3.endpoint", "http://127.0.0.1:" + closedPort,
                "ferry.s3.path-style", "true",
                "ferry.s3.access-key", "AKIAFERRYTEST",
                "ferry.s3.secret-key", "s3-secret-9"))) {
            HttpResponse<String> health = ferry.get("health");
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(health.body()).startsWith("{\"status\":\"DOWN\"")
                    .contains("OpenSearch not reachable: 127.0.0.1:" + closedPort)
                    .contains("S3 not reachable")
                    .doesNotContain("opensearch-secret-7").doesNotContain("s3-secret-9");
            assertThat(ferry.get("metrics").body()).doesNotContain("opensearch-secret-7").doesNotContain("s3-secret-9");
        }
    }
}
