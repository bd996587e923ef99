package dev.ferry;

import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The class-data archive of the packaged layout ({@code bin/ferry --create-cds-archive}, lib/ferry.jsa): made by a
 * training run, used by the next start (Ferry's classes come from the archive), and, once a jar changes, not used:
 * Ferry still starts and serves, and says in one line why start-up is slower. Runs on a copy of target/ferry, since
 * it changes a jar.
 */
class CdsArchiveIT {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theArchiveIsUsedWhileItMatchesTheJarsAndIgnoredWithAPlainMessageOnceOneChanges(@TempDir Path work)
            throws Exception {
        Path home = copyLayout(Path.of(System.getProperty("ferry.dist", "target/ferry")), work.resolve("ferry"));
        Path archive = home.resolve("lib/ferry.jsa");

        Path trainingLog = work.resolve("training.log");
        Process training = bin(home, work, trainingLog, Map.of("FERRY_CDS_TRAINING_SECONDS", "3"),
                "--create-cds-archive");
        assertThat(training.waitFor(180, TimeUnit.SECONDS)).as("training run ends").isTrue();
        assertThat(training.exitValue()).as(Files.readString(trainingLog)).isZero();
        assertThat(Files.size(archive)).as("archive size").isGreaterThan(10_000_000L);

        String fresh = startServeAndStop(home, work, "fresh");
        assertThat(fresh).contains("ferry: using the class-data archive " + archive);
        assertThat(Files.readString(work.resolve("classes-fresh.log")))
                .contains("dev.ferry.FerryApplication source: shared objects file (top)")
                .contains("org.apache.camel.impl.DefaultCamelContext source: shared objects file (top)");

        // An upgrade or rebuild replaces jars: Ferry's own jar, written after the archive, makes it stale.
        Path ferryJar;
        try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
            ferryJar = jars.filter(p -> p.getFileName().toString().matches("ferry-.*\\.jar")).findFirst().orElseThrow();
        }
        Files.setLastModifiedTime(ferryJar,
                FileTime.fromMillis(Files.getLastModifiedTime(archive).toMillis() + 60_000));

        String stale = startServeAndStop(home, work, "stale");
        assertThat(stale).contains("ferry: NOT using the class-data archive " + archive
                + ": it was made for other jars or another Java; Ferry runs normally, only its start-up is slower."
                + " Remake it: ");
        String classes = Files.readString(work.resolve("classes-stale.log"));
        assertThat(classes).contains("dev.ferry.FerryApplication source: file:" + ferryJar)
                .doesNotContain("shared objects file (top)");
    }

    /** Starts bin/ferry (pipelines off), waits for /observe/health UP, stops it with SIGTERM; returns its output. */
    private String startServeAndStop(Path home, Path work, String name) throws Exception {
        int port = FerryUnderTest.freePort();
        Path log = work.resolve("ferry-" + name + ".log");
        Process ferry = bin(home, work, log, Map.of(
                "FERRY_MANAGEMENT_PORT", String.valueOf(port),
                "CAMEL_MANAGEMENT_HOST", "127.0.0.1",
                "FERRY_DB_URL", "jdbc:h2:mem:cds;MODE=MSSQLServer",
                "JAVA_OPTS", "-Xmx256m -Xlog:class+load=info:file=" + work.resolve("classes-" + name + ".log")));
        try {
            URI health = URI.create("http://127.0.0.1:" + port + "/observe/health");
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> get(health).statusCode() == 200);
            assertThat(get(health).body()).startsWith("{\"status\":\"UP\"");
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no healthy start (" + name + "); log tail:\n" + tail(log), e);
        } finally {
            ferry.destroy();
        }
        assertThat(ferry.waitFor(60, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
        String output = Files.readString(log, StandardCharsets.ISO_8859_1);
        assertThat(output).contains("Apache Camel 4.17.0 (ferry) shutdown");
        return output;
    }

    private static Process bin(Path home, Path workDir, Path log, Map<String, String> env, String... args)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder();
        pb.command().add(home.resolve("bin/ferry").toString());
        pb.command().addAll(List.of(args));
        pb.directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("FERRY_HOME");
        pb.environment().remove("FERRY_CDS");
        pb.environment().putAll(env);
        return pb.start();
    }

    private static Path copyLayout(Path from, Path to) throws IOException {
        Path source = from.toAbsolutePath().normalize();
        try (Stream<Path> files = Files.walk(source)) {
            for (Path f : files.toList()) {
                if (f.getFileName().toString().startsWith("ferry.jsa")) {
                    continue; // an archive someone made in target/ferry: this test makes its own
                }
                Files.copy(f, to.resolve(source.relativize(f).toString()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        return to;
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
