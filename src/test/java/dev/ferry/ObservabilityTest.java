package dev.ferry;

import dev.ferry.accounting.PipelineMetrics;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
            assertThat(run.failure()).contains("records unaccounted for: read=5 but written+duplicate+filtered+dead_lettered=4");
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
            // the dev profile advertises no developer console, and none answers
            assertThat(ferry.get("dev").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void theDatabasePoolConnectsOnlyWhenAPipelineUsesIt() throws Exception {
        int closedPort = FerryUnderTest.freePort();
        try (FerryUnderTest ferry = FerryUnderTest.start(Map.of(
                "ferry.db.url", "jdbc:postgresql://127.0.0.1:" + closedPort + "/ferry"))) {
            assertThat(ferry.get("health").statusCode()).isEqualTo(200);
            com.zaxxer.hikari.HikariDataSource pool = ferry.bean("ferryDataSource", com.zaxxer.hikari.HikariDataSource.class);
            assertThat(pool.isRunning()).as("pool started while report-to-sql is off").isFalse();
            assertThat(pool.getHikariPoolMXBean()).isNull();
        }
        try (FerryUnderTest ferry = FerryUnderTest.start(Map.of("ferry.report-to-sql.enabled", "true",
                "ferry.report-to-sql.auth-method", "none", "ferry.report-to-sql.initial-delay-ms", "600000"))) {
            assertThat(ferry.get("health").statusCode()).isEqualTo(200); // its readiness check took a connection
            assertThat(ferry.bean("ferryDataSource", com.zaxxer.hikari.HikariDataSource.class).isRunning()).isTrue();
        }
    }

    @Test
    void infoSaysWhatAnOperatorNeedsAndNothingAboutTheHost() throws Exception {
        try (FerryUnderTest ferry = FerryUnderTest.start(Map.of("ferry.report-to-sql.enabled", "true",
                "ferry.report-to-sql.auth-method", "none", "ferry.report-to-sql.initial-delay-ms", "600000"))) {
            HttpResponse<String> info = ferry.get("info");
            assertThat(info.statusCode()).isEqualTo(200);
            assertThat(info.body()).contains("\"profile\":\"prod\"").contains("\"version\":\"4.17.0\"")
                    .contains("\"report-to-sql\":true").contains("\"s3-to-opensearch\":false")
                    .contains("\"uptimeSeconds\":")
                    .doesNotContain(System.getProperty("user.name") + "\"")
                    .doesNotContain(System.getProperty("user.home"))
                    .doesNotContain(System.getProperty("user.dir"))
                    .doesNotContain("\"pid\"").doesNotContain(String.valueOf(ProcessHandle.current().pid()));
        }
    }

    @Test
    void basicAuthenticationGuardsEverythingButTheHealthProbes() throws Exception {
        try (FerryUnderTest ferry = FerryUnderTest.start(Map.of("ferry.management.user", "operator",
                "ferry.management.password", "observe-secret-5"))) {
            HttpClient http = HttpClient.newHttpClient();
            for (String path : new String[] {"metrics", "info"}) {
                assertThat(ferry.get(path).statusCode()).as(path + " without credentials").isEqualTo(401);
                assertThat(get(http, ferry.observe(path), "operator", "wrong").statusCode()).isEqualTo(401);
                assertThat(get(http, ferry.observe(path), "operator", "observe-secret-5").statusCode()).isEqualTo(200);
            }
            assertThat(ferry.get("info").headers().firstValue("WWW-Authenticate")).contains("Basic realm=\"ferry\"");
            for (String probe : new String[] {"health", "health/live", "health/ready"}) {
                assertThat(ferry.get(probe).statusCode()).as(probe + " without credentials").isEqualTo(200);
            }
        }
    }

    @Test
    void theManagementServerListensOnTheConfiguredAddressOnly() throws Exception {
        try (FerryUnderTest ferry = FerryUnderTest.start(Map.of("ferry.management.host", "127.0.0.2",
                "camel.management.host", "{{ferry.management.host}}"))) {
            HttpClient http = HttpClient.newHttpClient();
            URI onConfigured = URI.create(ferry.observe("health").toString().replace("127.0.0.1", "127.0.0.2"));
            assertThat(http.send(HttpRequest.newBuilder(onConfigured).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(200);
            assertThatThrownBy(() -> ferry.get("health")).isInstanceOf(ConnectException.class);
        }
    }

    private static HttpResponse<String> get(HttpClient http, URI uri, String user, String password) throws Exception {
        String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return http.send(HttpRequest.newBuilder(uri).header("Authorization", "Basic " + basic).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
