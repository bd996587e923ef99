package dev.ferry.local;

import dev.ferry.embedded.ChildProcess;
import dev.ferry.embedded.EmbeddedPaths;
import dev.ferry.embedded.FreePorts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real Prometheus (the installed {@code prometheus} binary, e.g. Debian's package) on a free loopback port,
 * scraping one Ferry at {@code /observe/metrics} as job {@code ferry} and loaded with
 * {@code observability/prometheus/ferry-alerts.rules.yml}. Its data lives under {@code target/embedded/run/prometheus}
 * and is fresh on every start. One runs at a time: starting another stops the one before; the JVM's exit stops it.
 */
public final class LocalPrometheus implements AutoCloseable {

    /** The alert rules, relative to the project directory. */
    public static final Path RULES = Path.of("observability", "prometheus", "ferry-alerts.rules.yml");

    private static LocalPrometheus current;

    private final ChildProcess process;
    private final URI url;

    private LocalPrometheus(ChildProcess process, URI url) {
        this.process = process;
        this.url = url;
    }

    /** The {@code prometheus} binary: {@code -Dferry.prometheus.binary}, else the first on the PATH. */
    public static Optional<Path> binary() {
        return tool("prometheus");
    }

    /** {@code promtool}, from the same package as the binary. */
    public static Optional<Path> promtool() {
        return tool("promtool");
    }

    private static Optional<Path> tool(String name) {
        String explicit = System.getProperty("ferry." + name + ".binary");
        if (explicit != null) {
            return Optional.of(Path.of(explicit)).filter(Files::isExecutable);
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        return Stream.of(path.split(java.io.File.pathSeparator)).filter(s -> !s.isEmpty())
                .map(dir -> Path.of(dir, name)).filter(Files::isExecutable).findFirst();
    }

    /**
     * Starts Prometheus scraping Ferry's management port on loopback every {@code interval} (rules evaluated as
     * often), and waits until it is ready.
     *
     * @param projectDir where {@code observability/} is
     */
    public static synchronized LocalPrometheus start(Path projectDir, int ferryManagementPort, Duration interval) {
        if (current != null) {
            current.close();
        }
        Path binary = binary().orElseThrow(() -> new IllegalStateException("no prometheus binary on the PATH"));
        Path rules = projectDir.resolve(RULES).toAbsolutePath();
        if (!Files.isRegularFile(rules)) {
            throw new IllegalStateException("alert rules not found: " + rules);
        }
        Path dir = EmbeddedPaths.root().resolve("run").resolve("prometheus");
        ChildProcess.deleteTree(dir);
        int port = FreePorts.next();
        Path config = dir.resolve("prometheus.yml");
        try {
            Files.createDirectories(dir);
            long seconds = Math.max(1, interval.toSeconds());
            Files.writeString(config, String.join("\n",
                    "# written by local mode (dev.ferry.local.LocalPrometheus)",
                    "global:",
                    "  scrape_interval: " + seconds + "s",
                    "  evaluation_interval: " + seconds + "s",
                    "rule_files:",
                    "  - " + rules,
                    "scrape_configs:",
                    "  - job_name: ferry",
                    "    metrics_path: /observe/metrics",
                    "    static_configs:",
                    "      - targets: [\"127.0.0.1:" + ferryManagementPort + "\"]",
                    ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChildProcess child = ChildProcess.command("prometheus", "TERM", List.of(binary.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--storage.tsdb.retention.time=1d",
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn"));
        URI url = URI.create("http://127.0.0.1:" + port);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        // Ready, and already scraping (Ferry is not up yet, so the attempt failed): its target discovery hands the
        // target over only after a few seconds, and a demo that finished by then would be seen with its final counts
        // from the first sample on, so every rate would read zero.
        child.awaitReady(Duration.ofSeconds(60), () -> {
            if (http.send(HttpRequest.newBuilder(url.resolve("/-/ready")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
                return false;
            }
            String targets = http.send(HttpRequest.newBuilder(url.resolve("/api/v1/targets?state=active"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
            return targets.contains("\"lastScrape\"") && !targets.contains("\"lastScrape\":\"0001-01-01");
        });
        current = new LocalPrometheus(child, url);
        return current;
    }

    /** The Prometheus local mode started last, if it is still running. */
    public static synchronized Optional<LocalPrometheus> running() {
        return Optional.ofNullable(current).filter(p -> p.process.isAlive());
    }

    public URI url() {
        return url;
    }

    public Path log() {
        return process.log();
    }

    @Override
    public void close() {
        process.close();
    }
}
