package dev.ferry.local;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.OpenSearchNode;
import dev.ferry.embedded.S3ProxyServer;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPOutputStream;

/**
 * Local mode's s3-to-opensearch: five gzipped NDJSON objects (50,000 documents) in the embedded S3, two bad lines
 * among them (one not JSON, one whose price is not a number for the index mapping), indexed into the embedded
 * OpenSearch. Afterwards: 50,000 documents in {@value #INDEX}, two dead letters in {@value #DEAD_LETTER_BUCKET},
 * the objects moved under {@code processed/}.
 */
public final class S3ToOpenSearchDemo implements PipelineDemo {

    public static final String BUCKET = "ferry-demo-inbox";
    public static final String DEAD_LETTER_BUCKET = "ferry-demo-dead-letters";
    // Its own index: opensearch-to-s3's demo dumps ferry-demo-documents at the same time in local mode.
    public static final String INDEX = "ferry-demo-orders";
    public static final int OBJECTS = 5;
    public static final int DOCS_PER_OBJECT = 10_000;
    public static final int BAD_LINES = 2;

    private final Set<String> subjects = new LinkedHashSet<>();

    @Override
    public String pipeline() {
        return "s3-to-opensearch";
    }

    @Override
    public Map<String, String> seed(EmbeddedServices services) throws Exception {
        S3ProxyServer s3 = services.s3();
        OpenSearchNode openSearch = services.openSearch();
        S3Client client = s3.client();
        for (String bucket : new String[] {BUCKET, DEAD_LETTER_BUCKET}) {
            if (client.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
                client.createBucket(b -> b.bucket(bucket));
            }
        }
        createIndex(openSearch);
        for (int o = 1; o <= OBJECTS; o++) {
            StringBuilder lines = new StringBuilder();
            for (int i = 1; i <= DOCS_PER_OBJECT; i++) {
                lines.append("{\"order\":\"o").append(o).append('-').append(i).append("\",\"price\":").append(i % 500)
                        .append(".0,\"customer\":\"customer ").append(i % 977).append("\",\"note\":\"")
                        .append("x".repeat(40 + i % 60)).append("\"}\n");
                if (o == 2 && i == 1234) {
                    lines.append("{\"order\":\"broken\",\n"); // not JSON: dead-lettered on its own
                }
                if (o == 4 && i == 4321) {
                    lines.append("{\"order\":\"bad-price\",\"price\":\"twelve\"}\n"); // conflicts with price:double
                }
            }
            String key = "incoming/orders-" + o + ".ndjson.gz";
            client.putObject(b -> b.bucket(BUCKET).key(key).contentType("application/x-ndjson"),
                    RequestBody.fromBytes(gzip(lines.toString())));
            subjects.add(BUCKET + '/' + key);
        }
        Map<String, String> settings = new HashMap<>(LocalMode.s3Settings(s3));
        settings.put("ferry.s3-to-opensearch.enabled", "true");
        settings.put("ferry.opensearch.hosts", openSearch.hostAddress());
        settings.put("ferry.s3-to-opensearch.bucket", BUCKET);
        settings.put("ferry.s3-to-opensearch.prefix", "incoming/");
        settings.put("ferry.s3-to-opensearch.processed-prefix", "processed/");
        settings.put("ferry.s3-to-opensearch.dead-letter-bucket", DEAD_LETTER_BUCKET);
        settings.put("ferry.s3-to-opensearch.index", INDEX);
        settings.put("ferry.s3-to-opensearch.poll-delay-ms", "1000");
        return settings;
    }

    /** Finished when every seeded object has a run that balanced (and so was marked done). */
    @Override
    public boolean finished(java.util.List<RunAccount> finished) {
        Set<String> done = new java.util.HashSet<>();
        for (RunAccount run : finished) {
            if (run.pipeline().equals(pipeline()) && run.status() == RunAccount.Status.SUCCEEDED) {
                done.add(run.subject());
            }
        }
        return !subjects.isEmpty() && done.containsAll(subjects);
    }

    public Set<String> subjects() {
        return Set.copyOf(subjects);
    }

    /** A fresh index every time, with the mapping the bad-price line conflicts with. */
    private static void createIndex(OpenSearchNode node) throws IOException, InterruptedException {
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.url() + "/" + INDEX)).DELETE().build(),
                HttpResponse.BodyHandlers.discarding());
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.url() + "/" + INDEX))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"mappings\":{\"properties\":{\"order\":{\"type\":\"keyword\"},"
                        + "\"price\":{\"type\":\"double\"},\"customer\":{\"type\":\"keyword\"},\"note\":{\"type\":\"text\"}}}}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 && !r.body().contains("resource_already_exists_exception")) {
            throw new IllegalStateException("cannot create the demo index " + INDEX + ": " + r.body());
        }
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
