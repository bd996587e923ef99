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
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * S3Proxy ({@code target/embedded/s3proxy.jar}, copied by the build) as a child process on 127.0.0.1,
 * storing objects on disk under {@code target/embedded/run/s3-<port>} (jclouds {@code filesystem}
 * provider: objects are streamed to files, so large objects do not need heap).
 */
public final class S3ProxyServer implements AutoCloseable {

    public static final String ACCESS_KEY = "ferry-test-access-key";
    public static final String SECRET_KEY = "ferry-test-secret-key";
    public static final String REGION = "us-east-1";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final URI endpoint;
    private final ChildProcess process;
    private final Path dataDir;
    private volatile S3Client client;

    private S3ProxyServer(URI endpoint, ChildProcess process, Path dataDir) {
        this.endpoint = endpoint;
        this.process = process;
        this.dataDir = dataDir;
    }

    /** Starts a new S3Proxy (filesystem storage); prefer {@code EmbeddedServices.shared().s3()}. */
    public static S3ProxyServer start() {
        return start("filesystem");
    }

    /** Starts a new S3Proxy with the jclouds provider {@code filesystem} (on disk) or {@code transient} (in heap). */
    public static S3ProxyServer start(String jcloudsProvider) {
        return start(jcloudsProvider, Map.of());
    }

    /** The same, with more S3Proxy properties (s3proxy.max-single-part-object-size, ...). */
    public static S3ProxyServer start(String jcloudsProvider, Map<String, String> moreProperties) {
        Path jar = EmbeddedPaths.root().resolve("s3proxy.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run `mvn process-test-resources` (or any later"
                    + " phase) once; the maven-dependency-plugin copies org.gaul:s3proxy there");
        }
        int port = FreePorts.next();
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        Path runDir = EmbeddedPaths.freshRunDir("s3-" + port);
        Path dataDir = runDir.resolve("data");
        Path config = runDir.resolve("s3proxy.properties");
        Properties p = new Properties();
        p.setProperty("s3proxy.endpoint", endpoint.toString());
        p.setProperty("s3proxy.authorization", "aws-v2-or-v4");
        p.setProperty("s3proxy.identity", ACCESS_KEY);
        p.setProperty("s3proxy.credential", SECRET_KEY);
        p.setProperty("jclouds.provider", jcloudsProvider);
        p.setProperty("jclouds.filesystem.basedir", dataDir.toString());
        p.setProperty("jclouds.identity", ACCESS_KEY);
        p.setProperty("jclouds.credential", SECRET_KEY);
        moreProperties.forEach(p::setProperty);
        try {
            Files.createDirectories(dataDir);
            try (Writer w = Files.newBufferedWriter(config)) {
                p.store(w, "S3Proxy for Ferry tests");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChildProcess child = ChildProcess.java("s3proxy-" + port, EmbeddedPaths.currentJava(),
                List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError"), jar.toString(),
                "org.gaul.s3proxy.Main", List.of("--properties", config.toString()));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        child.awaitReady(START_TIMEOUT, () -> {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode() > 0; // any HTTP answer (403 for anonymous) means it serves
        });
        return new S3ProxyServer(endpoint, child, runDir);
    }

    public URI endpoint() {
        return endpoint;
    }

    public String accessKey() {
        return ACCESS_KEY;
    }

    public String secretKey() {
        return SECRET_KEY;
    }

    public String region() {
        return REGION;
    }

    /** A shared AWS SDK v2 client for this server (path-style; closed with the server). */
    public S3Client client() {
        S3Client c = client;
        if (c == null) {
            synchronized (this) {
                c = client;
                if (c == null) {
                    c = client = newClient();
                }
            }
        }
        return c;
    }

    /** A new AWS SDK v2 client for this server; the caller closes it. */
    public S3Client newClient() {
        return newClient(b -> { });
    }

    /** A new client for this server, with more of the builder set by the caller (an interceptor); the caller closes it. */
    public S3Client newClient(Consumer<S3ClientBuilder> more) {
        S3ClientBuilder b = S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.of(REGION))
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)));
        more.accept(b);
        return b.build();
    }

    /** Camel aws2-s3 endpoint options that point at this server (append to {@code aws2-s3://bucket?}). */
    public String camelEndpointOptions() {
        return "overrideEndpoint=true&uriEndpointOverride=" + endpoint + "&forcePathStyle=true&region=" + REGION
                + "&accessKey=RAW(" + ACCESS_KEY + ")&secretKey=RAW(" + SECRET_KEY + ")";
    }

    public ChildProcess process() {
        return process;
    }

    @Override
    public void close() {
        S3Client c = client;
        if (c != null) {
            c.close();
        }
        process.close();
        ChildProcess.deleteTree(dataDir);
    }

    @Override
    public String toString() {
        return "S3Proxy " + endpoint;
    }
}
