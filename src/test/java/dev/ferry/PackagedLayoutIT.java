package dev.ferry;

import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Starts the packaged layout (target/ferry) exactly as the container image's entrypoint does: {@code bin/ferry}
 * from its own directory, configuration and routes taken from the layout, settings from environment variables.
 */
class PackagedLayoutIT {

    private static final String DB_SECRET = "db-secret-31337";
    private static final String S3_SECRET = "s3-secret-4242";
    private static Path dist;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void locateLayout() {
        dist = Path.of(System.getProperty("ferry.dist", "target/ferry"));
        assertThat(dist.resolve("bin/ferry")).isExecutable();
        assertThat(dist.resolve("routes")).isDirectory();
        assertThat(dist.resolve("application.properties")).isRegularFile();
    }

    private Process start(Path workDir, Path log, Map<String, String> env, String... args) throws IOException {
        ProcessBuilder pb = new ProcessBuilder();
        pb.command().add(dist.resolve("bin/ferry").toAbsolutePath().toString());
        pb.command().addAll(List.of(args));
        pb.directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    @Test
    void theEntrypointStartsServesHealthAndMetricsKeepsSecretsOutAndStopsCleanlyOnSigterm(@TempDir Path work)
            throws Exception {
        int port = FerryUnderTest.freePort();
        Path log = work.resolve("ferry.log");
        Process ferry = start(work, log, Map.of(
                "FERRY_MANAGEMENT_PORT", String.valueOf(port),
                "CAMEL_MANAGEMENT_HOST", "127.0.0.1",
                "FERRY_REPORT_TO_SQL_ENABLED", "false",
                "FERRY_DB_URL", "jdbc:h2:mem:packaged;MODE=MSSQLServer",
                "FERRY_DB_PASSWORD", DB_SECRET,
                "FERRY_S3_ACCESS_KEY", "AKIAPACKAGED",
                "FERRY_S3_SECRET_KEY", S3_SECRET,
                "JAVA_OPTS", "-Xmx256m"));
        try {
            URI health = URI.create("http://127.0.0.1:" + port + "/observe/health");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> get(health).statusCode() == 200);
            assertThat(get(health).body()).startsWith("{\"status\":\"UP\"");
            HttpResponse<String> metrics = get(URI.create("http://127.0.0.1:" + port + "/observe/metrics"));
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("ferry_records_read_total{pipeline=\"report-to-sql\"} 0.0")
                    .doesNotContain(DB_SECRET).doesNotContain(S3_SECRET);
            // bin/ferry picks the parallel collector when JAVA_OPTS names none (its memory pools are "PS ...")
            assertThat(metrics.body()).contains("id=\"PS Old Gen\"").doesNotContain("id=\"G1 Old Gen\"");
        } finally {
            ferry.destroy(); // SIGTERM, as a container runtime sends
        }
        assertThat(ferry.waitFor(60, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
        String output = Files.readString(log);
        assertThat(output).contains("Apache Camel 4.17.0 (ferry) started")
                .contains("Apache Camel 4.17.0 (ferry) shutdown")
                .doesNotContain(DB_SECRET).doesNotContain(S3_SECRET);
    }

    @Test
    void anInvalidSettingStopsStartUpWithExitCode2AndNamesIt(@TempDir Path work) throws Exception {
        Path log = work.resolve("ferry.log");
        Process ferry = start(work, log, Map.of("FERRY_RETRY_MAX_ATTEMPTS", "lots", "FERRY_DB_PASSWORD", DB_SECRET));
        assertThat(ferry.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(ferry.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log))
                .contains("invalid setting ferry.retry.max-attempts = 'lots' (from environment variable FERRY_RETRY_MAX_ATTEMPTS)")
                .doesNotContain(DB_SECRET);
    }

    @Test
    void mountedRoutesAreReadAtRunTime(@TempDir Path work) throws Exception {
        Path routes = Files.createDirectories(work.resolve("mounted-routes"));
        try (var files = Files.list(dist.resolve("routes"))) {
            for (Path f : files.toList()) {
                Files.copy(f, routes.resolve(f.getFileName()));
            }
        }
        Files.writeString(routes.resolve("marker.camel.yaml"), """
                - route:
                    id: mounted-marker
                    description: Logs a marker, proving a mounted route file is loaded without a rebuild
                    from:
                      uri: timer:mounted-marker?repeatCount=1
                      steps:
                        - log: "mounted route ran"
                """);
        Path log = work.resolve("ferry.log");
        Process ferry = start(work, log, Map.of("FERRY_ROUTES_DIR", routes.toString(),
                "FERRY_MANAGEMENT_PORT", String.valueOf(FerryUnderTest.freePort())),
                "camel.main.duration-max-seconds=5");
        assertThat(ferry.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(ferry.exitValue()).isZero();
        assertThat(Files.readString(log)).contains("mounted route ran");
    }

    private HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
