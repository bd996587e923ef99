package dev.ferry;

import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
        // started where there is no routes/ nor application.properties: the layout's own, read once (profile prod)
        Path home = dist.toAbsolutePath().normalize();
        assertThat(output).contains("Routes from " + home.resolve("routes") + " (read at start: restart to apply an edit);"
                + " configuration from " + home.resolve("application.properties"));
    }

    /**
     * Every credential setting holds a distinctive secret, logging is at DEBUG (where Camel's properties parser prints
     * every value it resolves), every pipeline is on and fails against closed ports (exception messages), and the
     * database URL carries a password in PostgreSQL's and in SQL Server's form: no secret reaches the process output
     * (stdout and stderr) nor any /observe answer.
     */
    @ParameterizedTest
    @ValueSource(strings = {"jdbc:postgresql://127.0.0.1:%d/ferry?user=ferry&password=pgUrlSecret-6161&ssl=false",
            "jdbc:sqlserver://127.0.0.1:%d;databaseName=ferry;user=ferry;password=msUrlSecret-7171;encrypt=false"})
    void noSecretReachesTheOutputOrAnObserveAnswerEvenAtDebug(String dbUrlForm, @TempDir Path work) throws Exception {
        int port = FerryUnderTest.freePort();
        int closed = FerryUnderTest.freePort();
        String dbUrl = dbUrlForm.formatted(closed);
        Map<String, String> secrets = Map.of(
                "FERRY_S3_ACCESS_KEY", "AKIAaccessSecret-1111",
                "FERRY_S3_SECRET_KEY", "s3Secret-2222",
                "FERRY_OPENSEARCH_PASSWORD", "osSecret-3333",
                "FERRY_DB_PASSWORD", "dbSecret-4444",
                "FERRY_REPORT_TO_SQL_PASSWORD", "reportSecret-5555",
                "FERRY_REPORT_TO_SQL_TRUSTSTORE_PASSWORD", "trustSecret-8888",
                "FERRY_MANAGEMENT_PASSWORD", "observeSecret-9999");
        String urlSecret = dbUrl.replaceAll(".*password=([^;&]+).*", "$1");
        Map<String, String> env = new java.util.HashMap<>(secrets);
        env.putAll(Map.of(
                "FERRY_LOG_LEVEL", "DEBUG",
                "FERRY_MANAGEMENT_PORT", String.valueOf(port),
                "FERRY_MANAGEMENT_HOST", "127.0.0.1",
                "FERRY_MANAGEMENT_USER", "operator",
                "CAMEL_HEALTH_EXPOSURE_LEVEL", "full",
                "CAMEL_MAIN_SHUTDOWN_TIMEOUT", "5",
                "FERRY_DB_URL", dbUrl,
                "FERRY_S3_ENDPOINT", "http://127.0.0.1:" + closed,
                "FERRY_S3_PATH_STYLE", "true",
                "FERRY_OPENSEARCH_HOSTS", "127.0.0.1:" + closed));
        env.putAll(Map.of(
                "FERRY_OPENSEARCH_USER", "ferry",
                "FERRY_REPORT_TO_SQL_ENABLED", "true",
                "FERRY_REPORT_TO_SQL_AUTH_METHOD", "basic",
                "FERRY_REPORT_TO_SQL_USER", "reporter",
                "FERRY_REPORT_TO_SQL_BASE_URL", "http://127.0.0.1:" + closed + "/ReportServer",
                "FERRY_REPORT_TO_SQL_INITIAL_DELAY_MS", "100",
                "FERRY_S3_TO_OPENSEARCH_ENABLED", "true",
                "FERRY_OPENSEARCH_TO_S3_ENABLED", "true",
                "JAVA_OPTS", "-Xmx256m"));
        Path log = work.resolve("ferry.log");
        Process ferry = start(work, log, env);
        StringBuilder answers = new StringBuilder();
        try {
            try {
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                        .until(() -> Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1)
                                .contains("Failed delivery"));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("Ferry never failed a delivery; alive="
                        + ferry.isAlive() + "; log tail:\n" + tail(log), e);
            }
            String basic = "Basic " + java.util.Base64.getEncoder().encodeToString(
                    ("operator:" + secrets.get("FERRY_MANAGEMENT_PASSWORD")).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (String path : List.of("health", "health/ready", "info", "metrics")) {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/observe/" + path)).header("Authorization", basic)
                        // the database check waits for the pool's connection timeout (30 s) on a closed port
                        .timeout(Duration.ofSeconds(90)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as(path).isEqualTo(path.startsWith("health") ? 503 : 200);
                answers.append(answer.body()).append(answer.headers().map()).append('\n');
            }
        } finally {
            ferry.destroy();
        }
        assertThat(ferry.waitFor(60, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
        String output = Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1);
        // the secrets were there to leak: the DEBUG lines that printed them now print the mask
        assertThat(output).contains("DEBUG").contains("camel.component.opensearch.password=****")
                .contains("ferry.db.url = '" + dbUrl.replace(urlSecret, "<hidden>") + "'").contains("Failed delivery")
                .doesNotContain("with value: ");
        List<String> every = new java.util.ArrayList<>(secrets.values());
        every.add(urlSecret);
        for (String secret : every) {
            assertThat(output).as("process output").doesNotContain(secret);
            assertThat(answers.toString()).as("/observe answers").doesNotContain(secret);
        }
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

    /**
     * The README's dev start command, {@code target/ferry/bin/ferry --profile=dev} in a checkout: the checkout's routes/
     * and application.properties are read (not the layout's copies), and saving a route file reloads it.
     */
    @Test
    void startedInACheckoutItReadsAndReloadsTheCheckoutsRoutesInDev(@TempDir Path checkout) throws Exception {
        Path routes = Files.createDirectories(checkout.resolve("routes"));
        try (var files = Files.list(dist.resolve("routes"))) {
            for (Path f : files.toList()) {
                Files.copy(f, routes.resolve(f.getFileName()));
            }
        }
        Files.copy(dist.resolve("application.properties"), checkout.resolve("application.properties"));
        Path marker = routes.resolve("marker.camel.yaml");
        Files.writeString(marker, markerRoute("checkout route version 1"));
        Path log = checkout.resolve("ferry.log");
        Process ferry = start(checkout, log, Map.of("FERRY_MANAGEMENT_PORT", String.valueOf(FerryUnderTest.freePort()),
                "CAMEL_MANAGEMENT_HOST", "127.0.0.1", "JAVA_OPTS", "-Xmx256m"), "--profile=dev");
        try {
            awaitLog(ferry, log, "checkout route version 1", Duration.ofSeconds(60));
            assertThat(Files.readString(log)).contains("Routes from " + routes.toRealPath()
                    + " (reloaded when a route file there changes); configuration from "
                    + checkout.toRealPath().resolve("application.properties"));
            Files.writeString(marker, markerRoute("checkout route version 2"));
            awaitLog(ferry, log, "checkout route version 2", Duration.ofSeconds(30));
        } finally {
            ferry.destroy();
        }
        assertThat(ferry.waitFor(60, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
    }

    private static String markerRoute(String message) {
        return """
                - route:
                    id: checkout-marker
                    description: Logs a marker; an operator's edit of it must show in the running process
                    from:
                      uri: timer:checkout-marker?repeatCount=1
                      steps:
                        - log: "%s"
                """.formatted(message);
    }

    private static void awaitLog(Process ferry, Path log, String line, Duration deadline) throws IOException {
        try {
            await().atMost(deadline).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1).contains(line));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no log line '" + line + "' within " + deadline + "; alive=" + ferry.isAlive()
                    + "; log tail:\n" + tail(log), e);
        }
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, java.nio.charset.StandardCharsets.ISO_8859_1);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
