package dev.ferry.testing;

import dev.ferry.Ferry;
import dev.ferry.config.FerryConfig;
import org.apache.camel.CamelContext;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Ferry started in the test JVM exactly as the launcher starts it (the repository's application.properties and
 * routes/), with overrides pointing it at the embedded services. Every instance gets its own management port.
 */
public final class FerryUnderTest implements AutoCloseable {

    /** The repository root: Maven runs tests with the project directory as working directory. */
    public static final Path PROJECT_DIR = Path.of("").toAbsolutePath();

    private final Ferry ferry;
    private final int managementPort;
    private final HttpClient http = HttpClient.newHttpClient();

    private FerryUnderTest(Ferry ferry, int managementPort) {
        this.ferry = ferry;
        this.managementPort = managementPort;
    }

    /**
     * The settings of a leader election on lock files in {@code locks} (ferry.cluster.service = file), checked every
     * {@code intervalMs}, a lock left unrenewed for {@code staleIntervals} intervals being taken over.
     */
    public static Map<String, String> fileLockCluster(Path locks, long intervalMs, int staleIntervals) {
        return Map.of("ferry.cluster.service", "file",
                "ferry.cluster.file.root", locks.toString(),
                "ferry.cluster.file.interval-ms", String.valueOf(intervalMs),
                "ferry.cluster.file.stale-intervals", String.valueOf(staleIntervals));
    }

    public static FerryUnderTest start(Map<String, String> overrides) throws Exception {
        return start(null, overrides);
    }

    /** Starts Ferry with a profile (null: the file's) and overrides; every pipeline is off unless overridden. */
    public static FerryUnderTest start(String profile, Map<String, String> overrides) throws Exception {
        int port = freePort();
        Map<String, String> all = new HashMap<>();
        all.put("ferry.routes-dir", PROJECT_DIR.resolve("routes").toString());
        all.put("ferry.management.port", String.valueOf(port));
        all.put("camel.management.host", "127.0.0.1");
        all.put("ferry.db.url", "jdbc:h2:mem:ferry-" + port + ";MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE;DB_CLOSE_DELAY=-1");
        all.putAll(overrides);
        FerryConfig config = FerryConfig.load(PROJECT_DIR.resolve("application.properties"), profile, Map.of(), all);
        return new FerryUnderTest(Ferry.create(config).start(), port);
    }

    /**
     * Ferry as its own process, started the way the launcher starts it ({@code -Xmx256m}, the repository's
     * application.properties and routes/, a free management port), with the settings given; output to {@code log}.
     * For what only a separate process shows: {@code kill -9}, a heap limit.
     */
    public static Process launchProcess(Map<String, String> settings, Path log) throws IOException {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), "dev.ferry.FerryApplication",
                "--config=" + PROJECT_DIR.resolve("application.properties")));
        command.add("ferry.routes-dir=" + PROJECT_DIR.resolve("routes"));
        command.add("ferry.management.port=" + freePort());
        command.add("camel.management.host=127.0.0.1");
        settings.forEach((k, v) -> command.add(k + "=" + v));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    public CamelContext camelContext() {
        return ferry.camelContext();
    }

    public <T> T bean(String name, Class<T> type) {
        return camelContext().getRegistry().lookupByNameAndType(name, type);
    }

    public URI observe(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + "/observe/" + path);
    }

    /** GET on the management server; returns status and body. */
    public HttpResponse<String> get(String observePath) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(observe(observePath)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        ferry.close();
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
